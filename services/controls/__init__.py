"""What administrators control: which products a team may start, caps with staged actions, and the entitlement
check that applies them before a product starts"""
