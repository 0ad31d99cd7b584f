"""The booking pages: citizens book, move and cancel online without an account (citizen.py);
staff do the same on a citizen's behalf on the phone (staff.py).

Plain server-rendered GET and POST forms. Every rule (which services are booked where, free
times, holds, limits, contact details, who may act on an appointment) is the engine's
(skranke.booking.services); these views parse the input, call it and show its answer or its
refusal (skranke.booking.errors) beside the form. The appointment's link secret and a hold's
token are only ever in a path (both route parameters are masked in logs), never in a query
string.
"""
