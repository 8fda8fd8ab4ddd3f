"""The books function: the catalogue, its search, CSV imports, covers and reviews."""

from library_common import cold_start

# Until the handler is built (library_common.api.lambda_handler_for).
cold_start.pause_collection()

from library_books.routes import books, catalogue, imports, reviews
from library_common.api import create_app, lambda_handler_for

app = create_app()
app.include_router(books.router)
app.include_router(imports.router)
app.include_router(reviews.router)
app.include_router(catalogue.router)

lambda_handler = lambda_handler_for(app)
