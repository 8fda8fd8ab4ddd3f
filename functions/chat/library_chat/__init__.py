"""The librarian chat behind POST /library/chat: plain-language questions answered from live library data.

Two engines answer from the same query functions (`queries`):
- `librarian` (the default): intent by keywords and patterns, the book, author or genre by trigram match
  against the catalogue, replies worded around the facts it looked up. Needs nothing but the database.
- `assistant`, when the deployment sets BEDROCK_MODEL_ID: a Bedrock model that may only answer through
  tools wrapping those query functions. If Bedrock fails, the question is answered by `librarian`.
"""
