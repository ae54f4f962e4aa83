"""Signals other rooms listen to, so that accounts never imports them.

The vault keeps each member's private key wrapped by a key derived from the password; it
needs the password at the two moments it is known in the clear, and nowhere else.
"""

from django.dispatch import Signal

# Sent after a correct password, before the second factor: request, user, password.
password_verified = Signal()
# Sent after a member changed their password: request, user, old_password, new_password.
password_changed = Signal()
# Sent after an admin reset a member's credentials (new one-time password): user.
credentials_reset = Signal()
