"""Signals other rooms listen to, so that accounts never imports them.

The vault keeps each member's private key wrapped by a key derived from the password; it
needs the password at the two moments it is known in the clear, and nowhere else.

Two kinds of signal. Those sent *inside* an accounts action's transaction (`password_changing`,
`credentials_reset`, `read_access_ending`) let another room write in the same transaction: a
receiver that raises rolls the whole action back, so the account and the vault never disagree
(a password changed while the key stays wrapped under the old one was issue #8, item 8).
`signed_in` is sent once both factors have passed.
"""

from django.dispatch import Signal

# Sent when both factors have passed, right after django.contrib.auth.login: request, user,
# password (the password of the password step, kept for this moment only in the pending
# sign-in state of the encrypted session; "" if the step did not keep one).
signed_in = Signal()
# Sent inside do_change_password's transaction, before the new password is saved: request,
# user, old_password, new_password. A receiver that cannot follow (e.g. a busy key-derivation
# pool) raises actions.AccountError and the password stays as it was.
password_changing = Signal()
# Sent inside do_reset_credentials's transaction (new one-time password): user.
credentials_reset = Signal()
# Sent inside the transaction of a demotion to a role without read access (deactivating=False)
# or of a deactivation (deactivating=True): user. Receivers take away what the member could
# open and return how many things they had to keep (or raise AccountError to refuse).
read_access_ending = Signal()
# Sent by `jiandu demo` inside the transaction that issues the demo admin's one-time login:
# user, password (the one-time password, in the clear for this moment only). The vault makes
# the admin's key wrapped by it, so the demo's tip line is open from the first second; a
# receiver returns a line to print (the vault recovery key).
demo_admin_issued = Signal()
