"""A librarian's day in the console, in headless Chromium against the local API and a real database: sign in,
find a book by a misspelt search, add one (bad ISBN, then good), import a CSV with a bad row, check a book out to
a member, see it on their page, take it back late, see the fine and take payment. axe-core and a screenshot on
every screen on the way."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

pytestmark = pytest.mark.e2e

GOOD_ISBN = "978-1-63557-563-7"
BAD_ISBN = "978-1-63557-563-8"
CSV = (
    "title,author,isbn,published_date,genre,language,quantity\n"
    "The Quiet Stacks,Ada Reader,979-8-00-000001-4,2021,Mystery,English,2\n"
    "Broken Book,Someone,979-8-00-000001-5,2001,Fantasy,English,1\n"
    "Index of Lost Things,B. Archivist,979-8-00-000002-1,2019,Essays,English,1\n"
)


@pytest.fixture
def people(users):
    return {
        "librarian": users.create("librarian", name="Lena Librarian", email="lena@library.test"),
        "member": users.create("member", name="Mary Member", email="mary@library.test"),
    }


def test_a_librarian_finds_adds_imports_lends_takes_back_late_and_takes_the_fine(
    console, people, catalogue, engine, tmp_path
):
    page = console.page
    console.open("/login")
    console.visit("sign-in")
    console.sign_in(people["librarian"])
    console.heading("Dashboard").wait_for()

    # The catalogue: a misspelt search still finds the book.
    page.get_by_role("menuitem", name="Catalogue").click()
    console.search("hobit")
    page.get_by_role("link", name="The Hobbit").wait_for()
    # Best match first while searching.
    expect(page.get_by_role("row").nth(1)).to_contain_text("The Hobbit")
    console.visit("catalogue")
    page.get_by_role("link", name="The Hobbit").click()
    console.heading("The Hobbit").wait_for()
    page.get_by_text("Nobody is waiting.").wait_for()
    page.get_by_text("Never borrowed.").wait_for()
    console.visit("book")

    # A new book: the ISBN is checked as it is typed, and the API's refusal is shown at the field.
    console.open("/books/create")
    page.get_by_label("Title").fill("Piranesi")
    page.get_by_label("Author").fill("Susanna Clarke")
    page.get_by_label("ISBN").fill(BAD_ISBN)
    # Days are typed as the console writes them (day first in en-GB), not in the browser's own date picker.
    page.get_by_label("Published").fill("31/09/2020")
    page.get_by_label("Published").blur()
    page.get_by_text("Not a day: write it as dd/mm/yyyy").wait_for()
    page.get_by_label("Published").fill("15/09/2020")
    page.get_by_test_id("isbn-verdict").filter(has_text="ISBN check digit does not match").wait_for()
    console.visit("book-create")
    page.get_by_role("button", name="Save").click()
    # The API's 422 names the field: it turns invalid, the message under it.
    expect(page.get_by_label("ISBN")).to_have_attribute("aria-invalid", "true")
    page.get_by_text("The form is not valid. Please check for errors").wait_for()
    expect(page.locator("form")).to_contain_text("ISBN check digit does not match")
    page.get_by_label("ISBN").fill(GOOD_ISBN)
    page.get_by_test_id("isbn-verdict").filter(has_text="Valid ISBN (stored as 9781635575637)").wait_for()
    page.get_by_role("button", name="Save").click()
    console.heading("Piranesi").wait_for()
    with engine.connect() as connection:
        published = connection.execute(text("SELECT published_date FROM books WHERE title = 'Piranesi'")).scalar()
    assert str(published) == "2020-09-15"
    page.get_by_text("15/09/2020").wait_for()

    # Import: the dry run shows the bad row, then the import saves the good ones.
    csv_file = tmp_path / "new-books.csv"
    csv_file.write_text(CSV)
    page.get_by_role("menuitem", name="Import").click()
    page.get_by_test_id("csv-file").set_input_files(str(csv_file))
    page.get_by_role("button", name="Check file (dry run)").click()
    errors = page.get_by_role("table", name="Rows with errors")
    errors.get_by_role("row").filter(has_text="ISBN check digit does not match").wait_for()
    bad_row = errors.get_by_role("row").nth(1).get_by_role("cell")
    assert [bad_row.nth(i).inner_text() for i in range(3)] == ["3", "isbn", "ISBN check digit does not match"]
    page.get_by_text("2 would be added, 0 updated, 1 have errors").wait_for()
    console.visit("import")
    page.get_by_role("button", name="Import", exact=True).click()
    page.get_by_text("Import finished: 2 added, 0 updated, 1 rows skipped for errors.").wait_for()
    with engine.connect() as connection:
        titles = "SELECT count(*) FROM books WHERE title IN ('Index of Lost Things', 'Broken Book')"
        imported = connection.execute(text(titles)).scalar()
    assert imported == 1

    # The desk: type-ahead on the member and the title, then check out.
    page.get_by_role("menuitem", name="Circulation").click()
    page.get_by_label("Member", exact=True).fill("mary")
    page.get_by_role("option", name="Mary Member").click()
    page.get_by_label("Title or ISBN", exact=True).fill("hobbit")
    page.get_by_role("option", name="The Hobbit").click()
    page.get_by_role("button", name="Check out", exact=True).click()
    page.get_by_text("Checked out: “The Hobbit” to Mary Member, due").wait_for()
    console.visit("circulation")

    # The member's page shows the loan.
    page.get_by_role("menuitem", name="Members").click()
    console.search("mary")
    page.get_by_role("link", name="Mary Member").click()
    on_loan = page.get_by_role("region", name="On loan now")
    on_loan.get_by_role("link", name="The Hobbit").wait_for()
    page.get_by_role("region", name="Borrowing history").get_by_text("still out").wait_for()
    console.visit("member")

    # Three days late: the return charges 3 x 0.25, and the fine is paid at the desk; amounts are in the library's
    # currency (GET /policies: USD, the default), as the notices write them.
    with engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE loans SET borrowed_on = now() - interval '17 days', due_date = current_date - 3 "
                "WHERE user_id = :member AND returned_on IS NULL"
            ),
            {"member": people["member"]["id"]},
        )
    page.reload()
    on_loan.get_by_text("Overdue by 3 days").wait_for()
    page.get_by_role("button", name="Return The Hobbit").click()
    page.get_by_text("“The Hobbit” is returned. It was late: a fine of USD 0.75 is charged.").wait_for()
    fines = page.get_by_role("region", name="Fines")
    fines.get_by_role("cell", name="USD 0.75", exact=True).wait_for()
    page.get_by_role("region", name="Borrowing history").get_by_text("USD 0.75 (unpaid)").wait_for()
    console.visit("member-fine")
    fines.get_by_role("button", name="Pay the fine of USD 0.75 for The Hobbit").click()
    page.get_by_text("Fine of USD 0.75 paid.").wait_for()
    fines.get_by_role("cell", name="paid", exact=True).wait_for()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT status FROM fines")).scalar() == "paid"
