/**
 * The console: react-admin over the library API. Resources are the API's collections; custom routes hold the
 * screens that are not one collection (the desk, import, your password). Part 2 adds its resources and routes
 * here, its menu entries in layout/Layout.tsx, its permissions in permissions.ts and its API paths in
 * providers/resources.ts.
 */
import polyglotI18nProvider from 'ra-i18n-polyglot';
import englishMessages from 'ra-language-english';
import { Admin, Authenticated, CustomRoutes, Resource } from 'react-admin';
import { Route } from 'react-router-dom';

import { AccessDenied } from './layout/AccessDenied';
import { Guarded } from './layout/Guarded';
import { Layout } from './layout/Layout';
import { LoginPage } from './layout/LoginPage';
import { authProvider, dataProvider } from './library';
import { CHANGE_PASSWORD_PATH, FORGOT_PASSWORD_PATH, RESET_PASSWORD_PATH } from './providers/authProvider';
import { ChangePassword } from './screens/account/ChangePassword';
import { ForgotPassword, ResetPassword } from './screens/account/PasswordReset';
import { GroupCreate, GroupEdit, GroupList, PermissionCreate, PermissionList } from './screens/admin/Groups';
import { NoticeList } from './screens/admin/Notices';
import { PolicyForm } from './screens/admin/PolicyForm';
import { StaffCreate } from './screens/admin/StaffCreate';
import { BookCreate, BookEdit } from './screens/books/BookForm';
import { Chat } from './screens/mine/Chat';
import { MyFines, MyHistory, MyHolds, MyLoans, MyNotices } from './screens/mine/MyLists';
import { MyReviews } from './screens/mine/MyReviews';
import { Register } from './screens/mine/Register';
import { BookList } from './screens/books/BookList';
import { BookShow } from './screens/books/BookShow';
import { CirculationDesk } from './screens/circulation/CirculationDesk';
import { FineList, HoldList, LoanList } from './screens/circulation/Lists';
import { Home } from './screens/dashboard/Home';
import { ImportPage } from './screens/import/ImportPage';
import { MemberEdit } from './screens/members/MemberEdit';
import { MemberList } from './screens/members/MemberList';
import { MemberShow } from './screens/members/MemberShow';
import { theme } from './theme';

const messages = {
    ...englishMessages,
    ra: { ...englishMessages.ra, auth: { ...englishMessages.ra.auth, logout: 'Sign out', sign_in: 'Sign in', username: 'Email' } },
};
const i18nProvider = polyglotI18nProvider(() => messages, 'en');

export function App() {
    return (
        <Admin
            title="Library console"
            dataProvider={dataProvider}
            authProvider={authProvider}
            layout={Layout}
            loginPage={LoginPage}
            accessDenied={AccessDenied}
            theme={theme}
            i18nProvider={i18nProvider}
            dashboard={Home}
            requireAuth
            // No request leaves for anywhere but this origin (the CSP would refuse it anyway).
            disableTelemetry
        >
            <Resource name="books" options={{ label: 'Catalogue' }} list={BookList} show={BookShow} create={BookCreate} edit={BookEdit} recordRepresentation="title" />
            <Resource name="users" options={{ label: 'Members' }} list={MemberList} show={MemberShow} edit={MemberEdit} create={StaffCreate} recordRepresentation="name" />
            <Resource name="loans" options={{ label: 'Loans' }} list={LoanList} />
            <Resource name="holds" options={{ label: 'Holds' }} list={HoldList} />
            <Resource name="fines" options={{ label: 'Fines' }} list={FineList} />
            <Resource name="history" />
            <Resource name="reviews" />
            <Resource name="genres" recordRepresentation="name" />
            <Resource name="groups" options={{ label: 'Permission groups' }} list={GroupList} create={GroupCreate} edit={GroupEdit} recordRepresentation="name" />
            <Resource name="permissions" options={{ label: 'Permissions' }} list={PermissionList} create={PermissionCreate} recordRepresentation="code" />
            <Resource name="notifications" options={{ label: 'Notices' }} list={NoticeList} />
            <CustomRoutes noLayout>
                <Route path="/register" element={<Register />} />
                <Route path={FORGOT_PASSWORD_PATH} element={<ForgotPassword />} />
                <Route path={RESET_PASSWORD_PATH} element={<ResetPassword />} />
            </CustomRoutes>
            <CustomRoutes>
                <Route path="/my/loans" element={<MyLoans />} />
                <Route path="/my/holds" element={<MyHolds />} />
                <Route path="/my/fines" element={<MyFines />} />
                <Route path="/my/notices" element={<MyNotices />} />
                <Route path="/my/history" element={<MyHistory />} />
                <Route path="/my/reviews" element={<Authenticated><MyReviews /></Authenticated>} />
                <Route path="/chat" element={<Authenticated><Chat /></Authenticated>} />
                <Route path="/circulation" element={<Guarded resource="circulation"><CirculationDesk /></Guarded>} />
                <Route path="/import" element={<Guarded resource="import"><ImportPage /></Guarded>} />
                <Route path="/policies" element={<Authenticated><PolicyForm /></Authenticated>} />
                <Route path={CHANGE_PASSWORD_PATH} element={<ChangePassword />} />
            </CustomRoutes>
        </Admin>
    );
}
