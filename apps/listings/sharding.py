PLAN = []
