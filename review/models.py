# Abuse monitoring and human review arrive with their own issue; the app is registered now so
# that its migrations have a stable home.
