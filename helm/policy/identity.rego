# Service-account tokens: a pod gets a Kubernetes API token only if it says why it needs one,
# so that a compromised web process can't talk to the API server.
package main

# The pod-template annotation that states why a workload needs the Kubernetes API.
api_access_annotation := "hearth/kubernetes-api"

_service_account(r) := object.get(pod_spec(r), "serviceAccountName", "default")

_account_disables_token(r) if {
	some sa in resources
	sa.kind == "ServiceAccount"
	namespace(sa) == namespace(r)
	sa.metadata.name == _service_account(r)
	sa.automountServiceAccountToken == false
}

_mounts_token(r) if pod_spec(r).automountServiceAccountToken == true

_mounts_token(r) if {
	not "automountServiceAccountToken" in object.keys(pod_spec(r))
	not _account_disables_token(r)
}

deny contains msg if {
	some r in workloads
	_mounts_token(r)
	not pod_annotations(r)[api_access_annotation]
	msg := sprintf("%s: mounts a service-account token without a %q annotation saying why", [id(r), api_access_annotation])
}
