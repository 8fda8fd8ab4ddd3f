"""The loans function: circulation (loans, holds, fines), the lending policy and circulation reports."""

import gc

# Until the handler is built (library_common.api.lambda_handler_for): the imports below make ~135,000 objects
# that live as long as the process, and collecting while they are made costs the cold start more than 10%.
gc.disable()


from library_common.api import create_app, lambda_handler_for
from library_loans.routes import fines, holds, loans, notifications, policies, reports

app = create_app()
app.include_router(loans.router)
app.include_router(holds.router)
app.include_router(fines.router)
app.include_router(policies.router)
app.include_router(reports.router)
app.include_router(notifications.router)

lambda_handler = lambda_handler_for(app)
