/**
 * The frame of every screen: the menu (only what the signed-in account may use), the user menu (change password,
 * sign out) and the session dialog. Part 2 adds its entries to MENU (Dashboard, Administration, My loans...).
 */
import DashboardIcon from '@mui/icons-material/Dashboard';
import ImportIcon from '@mui/icons-material/FileUpload';
import ChatIcon from '@mui/icons-material/Forum';
import HistoryIcon from '@mui/icons-material/History';
import ReviewsIcon from '@mui/icons-material/RateReview';
import GroupsIcon from '@mui/icons-material/Groups';
import NoticesIcon from '@mui/icons-material/MarkEmailRead';
import PolicyIcon from '@mui/icons-material/Rule';
import PermissionsIcon from '@mui/icons-material/VpnKey';
import FinesIcon from '@mui/icons-material/Payments';
import HoldsIcon from '@mui/icons-material/HourglassTop';
import LoansIcon from '@mui/icons-material/LibraryBooks';
import PasswordIcon from '@mui/icons-material/Password';
import BooksIcon from '@mui/icons-material/MenuBook';
import MembersIcon from '@mui/icons-material/People';
import DeskIcon from '@mui/icons-material/SwapHoriz';
import { ListItemIcon, ListItemText, MenuItem } from '@mui/material';
import type { ReactElement, ReactNode } from 'react';
import { AppBar, Layout as RaLayout, Logout, Menu, UserMenu, useCanAccess, useGetIdentity, useUserMenu } from 'react-admin';
import { Link } from 'react-router-dom';

import { CHANGE_PASSWORD_PATH } from '../providers/authProvider';
import { session } from '../library';
import { RememberRequestedScreen } from './AccessDenied';
import { SessionGuard } from './SessionGuard';

interface MenuEntry {
    to: string;
    label: string;
    icon: ReactElement;
    resource: string;
    action?: string;
    /** A member's own page: staff use the desk and the lists instead. */
    forMembers?: boolean;
}

export const MENU: MenuEntry[] = [
    { to: '/', label: 'Dashboard', icon: <DashboardIcon />, resource: 'dashboard' },
    { to: '/books', label: 'Catalogue', icon: <BooksIcon />, resource: 'books' },
    { to: '/my/loans', label: 'My loans', icon: <LoansIcon />, resource: 'mine', forMembers: true },
    { to: '/my/holds', label: 'My holds', icon: <HoldsIcon />, resource: 'mine', forMembers: true },
    { to: '/my/fines', label: 'My fines', icon: <FinesIcon />, resource: 'mine', forMembers: true },
    { to: '/my/notices', label: 'My notices', icon: <NoticesIcon />, resource: 'mine', forMembers: true },
    { to: '/my/history', label: 'My history', icon: <HistoryIcon />, resource: 'mine', forMembers: true },
    { to: '/my/reviews', label: 'My reviews', icon: <ReviewsIcon />, resource: 'mine', forMembers: true },
    { to: '/chat', label: 'Ask the librarian', icon: <ChatIcon />, resource: 'chat' },
    { to: '/users', label: 'Members', icon: <MembersIcon />, resource: 'users' },
    { to: '/circulation', label: 'Circulation', icon: <DeskIcon />, resource: 'circulation' },
    { to: '/loans', label: 'Loans', icon: <LoansIcon />, resource: 'loans' },
    { to: '/holds', label: 'Holds', icon: <HoldsIcon />, resource: 'holds' },
    { to: '/fines', label: 'Fines', icon: <FinesIcon />, resource: 'fines' },
    { to: '/import', label: 'Import', icon: <ImportIcon />, resource: 'import' },
    { to: '/notifications', label: 'Notices', icon: <NoticesIcon />, resource: 'notifications' },
    { to: '/groups', label: 'Permission groups', icon: <GroupsIcon />, resource: 'groups' },
    { to: '/permissions', label: 'Permissions', icon: <PermissionsIcon />, resource: 'permissions' },
    { to: '/policies', label: 'Lending policy', icon: <PolicyIcon />, resource: 'policies' },
];

function MenuEntryIfAllowed({ entry }: { entry: MenuEntry }) {
    const { canAccess, isPending } = useCanAccess({ resource: entry.resource, action: entry.action ?? 'list' });
    if (isPending || !canAccess) return null;
    if (entry.forMembers && session.account?.role !== 'member') return null;
    return <Menu.Item to={entry.to} primaryText={entry.label} leftIcon={entry.icon} />;
}

function LibraryMenu() {
    return (
        <Menu>
            {MENU.map(entry => (
                <MenuEntryIfAllowed key={entry.to} entry={entry} />
            ))}
        </Menu>
    );
}

function ChangePasswordItem() {
    const userMenu = useUserMenu();
    return (
        <MenuItem component={Link} to={CHANGE_PASSWORD_PATH} onClick={() => userMenu?.onClose()}>
            <ListItemIcon>
                <PasswordIcon fontSize="small" />
            </ListItemIcon>
            <ListItemText>Change password</ListItemText>
        </MenuItem>
    );
}

function LibraryUserMenu() {
    // The button shows the signed-in name; its accessible name must contain that visible text (WCAG 2.5.3).
    const { identity } = useGetIdentity();
    return (
        <UserMenu label={identity?.fullName ? `${identity.fullName}: account menu` : 'Account menu'}>
            <ChangePasswordItem />
            <Logout />
        </UserMenu>
    );
}

function LibraryAppBar() {
    return <AppBar userMenu={<LibraryUserMenu />} />;
}

export function Layout({ children }: { children: ReactNode }) {
    return (
        <RaLayout menu={LibraryMenu} appBar={LibraryAppBar}>
            <RememberRequestedScreen />
            {children}
            <SessionGuard />
        </RaLayout>
    );
}
