"""The chat function: the librarian chat, POST /library/chat, in its own Lambda so that the catalogue's cold
start does not carry it."""

from library_common import cold_start

# Until the handler is built (library_common.api.lambda_handler_for).
cold_start.pause_collection()

from library_chat.routes import chat
from library_common.api import create_app, lambda_handler_for

app = create_app()
app.include_router(chat.router)

lambda_handler = lambda_handler_for(app)
