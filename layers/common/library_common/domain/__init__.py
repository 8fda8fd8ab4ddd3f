"""The library's rules, each defined once, for every function: one module per concept.

- `statuses`: the states of loans, holds, fines, notices and import jobs, as enums;
- `days`: the library's day ("today") and the day a moment falls on, in SQL and in Python;
- `policy`: the one lending-policy row and its accessor;
- `permissions`: the permission codes the route guards check and the first migration creates;
- `catalogue`: a live (not archived) book, in SQL, as SQL text and in Python;
- `availability`: copies free of a title (one expression that is SQL over columns and Python over values);
- `loans`: a loan's status and days overdue;
- `standing`: whether a member may borrow, renew or queue, and why not;
- `fines`: the late fee and charging it;
- `holds`: the hold queue and where a copy goes when it comes back (returns, cancellations, expiries);
- `grants`: who may grant which permissions;
- `text`: what text the library stores (single-line fields, multi-line text);
- `emails`: an account's email (its shape, its length, its stored lower-case form), the first admin's too.

Locking discipline (every writer follows it, so concurrent requests serialise instead of deadlocking):
- a title's book row is the lock of its copy counters and of its hold queue: whoever moves a copy or changes
  a hold's status first locks the book row (`FOR NO KEY UPDATE`, or an UPDATE of its counters), and only
  then the hold rows;
- a borrow locks the member row before anything else, so one member's borrows run one at a time (loan limit);
- returns and renewals lock the loan row first.
The counters `copies_on_loan` / `copies_on_hold_shelf` always equal the open loans / ready holds of the title,
because they change in the same transaction as the loan or hold that moves the copy.
"""
