"""The books function: the catalogue, its search, CSV imports, covers and reviews."""

import gc

# Until the handler is built (library_common.api.lambda_handler_for): the imports below make ~135,000 objects
# that live as long as the process, and collecting while they are made costs the cold start more than 10%.
gc.disable()


from library_books.routes import books, catalogue, imports, reviews
from library_common.api import create_app, lambda_handler_for

app = create_app()
app.include_router(books.router)
app.include_router(imports.router)
app.include_router(reviews.router)
app.include_router(catalogue.router)

lambda_handler = lambda_handler_for(app)
