# sdk/ — what extension authors and host projects use; installed as
# $(PREFIX)/share/kiln.  Nothing to build yet.
