package main

test_replicated_workload_without_pdb_is_denied if {
	denied(rendering([good_deployment, default_deny, accounts_policy, good_account]), "no PodDisruptionBudget")
}

test_pdb_selecting_other_pods_does_not_count if {
	other := json.patch(good_pdb, [{"op": "replace", "path": "/spec/selector/matchLabels/app", "value": "listings"}])
	denied(rendering([good_deployment, other, default_deny, accounts_policy, good_account]), "no PodDisruptionBudget")
}

test_single_replica_needs_no_pdb_nor_spread if {
	single := json.patch(good_deployment, [
		{"op": "replace", "path": "/spec/replicas", "value": 1},
		{"op": "remove", "path": "/spec/template/spec/topologySpreadConstraints"},
	])
	results := deny with input as rendering([single, default_deny, accounts_policy, good_account])
	count(results) == 0
}

test_autoscaled_workload_without_pdb_is_denied if {
	autoscaled := json.patch(good_deployment, [{"op": "remove", "path": "/spec/replicas"}])
	hpa := {
		"apiVersion": "autoscaling/v2",
		"kind": "HorizontalPodAutoscaler",
		"metadata": {"name": "hearth-accounts-web"},
		"spec": {
			"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "hearth-accounts-web"},
			"minReplicas": 2,
			"maxReplicas": 6,
		},
	}
	denied(rendering([autoscaled, hpa, default_deny, accounts_policy, good_account]), "no PodDisruptionBudget")
}

test_replicated_workload_without_zone_spread_is_denied if {
	hostname_only := [{
		"maxSkew": 1,
		"topologyKey": "kubernetes.io/hostname",
		"whenUnsatisfiable": "DoNotSchedule",
		"labelSelector": {"matchLabels": {"app": "accounts"}},
	}]
	denied(
		with_patched_deployment([{"op": "replace", "path": "/spec/template/spec/topologySpreadConstraints", "value": hostname_only}]),
		"no topologySpreadConstraint over topology.kubernetes.io/zone",
	)
}
