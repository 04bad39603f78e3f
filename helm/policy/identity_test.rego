package main

test_pod_automounting_a_token_is_denied if {
	denied(
		with_patched_deployment([{"op": "replace", "path": "/spec/template/spec/automountServiceAccountToken", "value": true}]),
		"mounts a service-account token",
	)
}

test_pod_inheriting_the_default_account_token_is_denied if {
	# Unset on the pod and an account that is not in the rendering (e.g. `default`).
	denied(
		with_patched_deployment([
			{"op": "remove", "path": "/spec/template/spec/automountServiceAccountToken"},
			{"op": "replace", "path": "/spec/template/spec/serviceAccountName", "value": "default"},
		]),
		"mounts a service-account token",
	)
}

test_pod_inheriting_a_disabled_account_passes if {
	results := deny with input as with_patched_deployment([{"op": "remove", "path": "/spec/template/spec/automountServiceAccountToken"}])
	count(results) == 0
}

test_pod_stating_why_it_needs_the_api_passes if {
	patched := with_patched_deployment([
		{"op": "replace", "path": "/spec/template/spec/automountServiceAccountToken", "value": true},
		{"op": "add", "path": "/spec/template/metadata/annotations", "value": {"hearth/kubernetes-api": "Patroni keeps its leader lock in the API"}},
	])
	results := deny with input as patched
	count(results) == 0
}
