package main

test_missing_default_deny_is_denied if {
	denied(rendering([good_deployment, good_pdb, accounts_policy, good_account]), "no default-deny NetworkPolicy")
}

test_default_deny_of_ingress_only_does_not_count if {
	ingress_only := json.patch(default_deny, [{"op": "replace", "path": "/spec/policyTypes", "value": ["Ingress"]}])
	denied(rendering([good_deployment, good_pdb, ingress_only, accounts_policy, good_account]), "no default-deny NetworkPolicy")
}

test_default_deny_in_another_namespace_does_not_count if {
	elsewhere := json.patch(default_deny, [{"op": "add", "path": "/metadata/namespace", "value": "other"}])
	denied(rendering([good_deployment, good_pdb, elsewhere, accounts_policy, good_account]), "no default-deny NetworkPolicy")
}

test_workload_without_its_own_policy_is_denied if {
	denied(rendering([good_deployment, good_pdb, default_deny, good_account]), "no NetworkPolicy selects its pods")
}

test_policy_for_other_pods_does_not_count if {
	other := json.patch(accounts_policy, [{"op": "replace", "path": "/spec/podSelector/matchExpressions/0/values", "value": ["listings"]}])
	denied(rendering([good_deployment, good_pdb, default_deny, other, good_account]), "no NetworkPolicy selects its pods")
}

test_a_not_in_selector_matches_pods_without_the_key if {
	not_in := json.patch(accounts_policy, [{
		"op": "replace",
		"path": "/spec/podSelector/matchExpressions/0",
		"value": {"key": "tier", "operator": "NotIn", "values": ["batch"]},
	}])
	results := deny with input as rendering([good_deployment, good_pdb, default_deny, not_in, good_account])
	count(results) == 0
}

test_a_not_in_selector_excludes_pods_with_the_value if {
	not_in := json.patch(accounts_policy, [{
		"op": "replace",
		"path": "/spec/podSelector/matchExpressions/0",
		"value": {"key": "process", "operator": "NotIn", "values": ["web"]},
	}])
	denied(rendering([good_deployment, good_pdb, default_deny, not_in, good_account]), "no NetworkPolicy selects its pods")
}
