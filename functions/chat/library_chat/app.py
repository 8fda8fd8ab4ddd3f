"""The chat function: the librarian chat, POST /library/chat, in its own Lambda so that the catalogue's cold
start does not carry it."""

import gc

# Until the handler is built (library_common.api.lambda_handler_for): the imports below make ~135,000 objects
# that live as long as the process, and collecting while they are made costs the cold start more than 10%.
gc.disable()


from library_chat.routes import chat
from library_common.api import create_app, lambda_handler_for

app = create_app()
app.include_router(chat.router)

lambda_handler = lambda_handler_for(app)
