"""The back-office roles: Django groups created by `activities/migrations/0002_create_roles.py`.

- 社区工作人员 (community staff): everything in the product's apps, not users.
- 党委书记 (party secretary): view only, and the monthly summary.
"""

STAFF_GROUP = "社区工作人员"
SECRETARY_GROUP = "党委书记"
