# A small rendering that passes every policy; each test breaks one thing in it.
package main

good_container := {
	"name": "web",
	"image": "10.250.0.1:5000/hearth/hearth-accounts:1.0.0",
	"livenessProbe": {"httpGet": {"path": "/healthz", "port": 8000}},
	"readinessProbe": {"httpGet": {"path": "/readyz", "port": 8000}},
	"resources": {
		"requests": {"cpu": "100m", "memory": "256Mi"},
		"limits": {"cpu": "1", "memory": "512Mi"},
	},
	"securityContext": {
		"readOnlyRootFilesystem": true,
		"allowPrivilegeEscalation": false,
		"capabilities": {"drop": ["ALL"]},
	},
}

good_deployment := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "hearth-accounts-web"},
	"spec": {
		"replicas": 2,
		"selector": {"matchLabels": {"app": "accounts"}},
		"template": {
			"metadata": {"labels": {"app": "accounts", "process": "web"}},
			"spec": {
				"serviceAccountName": "hearth-accounts",
				"automountServiceAccountToken": false,
				"securityContext": {
					"runAsNonRoot": true,
					"runAsUser": 10001,
					"seccompProfile": {"type": "RuntimeDefault"},
				},
				"topologySpreadConstraints": [{
					"maxSkew": 1,
					"topologyKey": "topology.kubernetes.io/zone",
					"whenUnsatisfiable": "DoNotSchedule",
					"labelSelector": {"matchLabels": {"app": "accounts"}},
				}],
				"containers": [good_container],
			},
		},
	},
}

good_pdb := {
	"apiVersion": "policy/v1",
	"kind": "PodDisruptionBudget",
	"metadata": {"name": "hearth-accounts-web"},
	"spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "accounts", "process": "web"}}},
}

default_deny := {
	"apiVersion": "networking.k8s.io/v1",
	"kind": "NetworkPolicy",
	"metadata": {"name": "default-deny"},
	"spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
}

accounts_policy := {
	"apiVersion": "networking.k8s.io/v1",
	"kind": "NetworkPolicy",
	"metadata": {"name": "hearth-accounts"},
	"spec": {
		"podSelector": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["accounts"]}]},
		"policyTypes": ["Ingress"],
		"ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "frontend"}}}]}],
	},
}

good_account := {
	"apiVersion": "v1",
	"kind": "ServiceAccount",
	"metadata": {"name": "hearth-accounts"},
	"automountServiceAccountToken": false,
}

rendering(objects) := [{"path": "rendered.yaml", "contents": objects}]

good_objects := [good_deployment, good_pdb, default_deny, accounts_policy, good_account]

# The good rendering with the Deployment changed by a JSON patch.
with_patched_deployment(patch) := rendering([
	json.patch(good_deployment, patch),
	good_pdb,
	default_deny,
	accounts_policy,
	good_account,
])

container_path := "/spec/template/spec/containers/0"

denied(rendered, text) if {
	results := deny with input as rendered
	some message in results
	contains(message, text)
}

test_the_good_rendering_passes if {
	results := deny with input as rendering(good_objects)
	count(results) == 0
}

test_a_multi_file_rendering_is_read_whole if {
	split_files := [
		{"path": "a.yaml", "contents": [good_deployment, good_pdb]},
		{"path": "b.yaml", "contents": default_deny},
		{"path": "c.yaml", "contents": [accounts_policy, good_account]},
	]
	results := deny with input as split_files
	count(results) == 0
}
