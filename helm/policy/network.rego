# Network isolation: every namespace that runs pods has a default-deny policy (ingress and
# egress), and every workload has an allow policy of its own: under default deny a pod that
# no policy names can't even resolve DNS, and without default deny any pod reaches any other.
package main

_network_policies contains np if {
	some np in resources
	np.kind == "NetworkPolicy"
}

_default_deny(ns) if {
	some np in _network_policies
	namespace(np) == ns
	empty_selector(np.spec.podSelector)
	"Ingress" in np.spec.policyTypes
	"Egress" in np.spec.policyTypes
	count(object.get(np.spec, "ingress", [])) == 0
	count(object.get(np.spec, "egress", [])) == 0
}

deny contains msg if {
	some ns in {namespace(r) | some r in workloads}
	not _default_deny(ns)
	msg := sprintf("%s: no default-deny NetworkPolicy (empty podSelector, Ingress and Egress, no rules)", [_namespace_name(ns)])
}

_own_policy(r) if {
	some np in _network_policies
	namespace(np) == namespace(r)
	not empty_selector(np.spec.podSelector)
	selector_matches(np.spec.podSelector, pod_labels(r))
}

deny contains msg if {
	some r in workloads
	not _own_policy(r)
	msg := sprintf("%s: no NetworkPolicy selects its pods (only namespace-wide ones)", [id(r)])
}

# helm template leaves metadata.namespace unset: the objects go to the release's namespace.
_namespace_name(ns) := "the release's namespace" if ns == ""

_namespace_name(ns) := sprintf("namespace %q", [ns]) if ns != ""
