//! Which container of a pod is the application and which are sidecars (mesh proxies, agents).
//! A proxy that cannot reach the app logs "connection refused" because the app is down: the
//! app container's own state explains the pod, the proxy's lines are its symptom.

use super::model::ContainerFacts;

/// Set by kubectl and by the meshes' injectors to the app container.
pub const DEFAULT_CONTAINER: &str = "kubectl.kubernetes.io/default-container";

/// Names injectors give their containers. Matched as whole names or a `-proxy`/`-sidecar`
/// suffix, so an app called `proxy-api` is not mistaken for one.
const SIDECAR_NAMES: &[&str] = &[
    "istio-proxy",
    "linkerd-proxy",
    "envoy",
    "envoy-sidecar",
    "consul-dataplane",
    "consul-connect-envoy-sidecar",
    "kuma-sidecar",
    "daprd",
    "vault-agent",
    "aws-appmesh-envoy",
    "cilium-envoy",
];

pub fn sidecar_name(name: &str) -> bool {
    SIDECAR_NAMES.contains(&name) || name.ends_with("-proxy") || name.ends_with("-sidecar")
}

/// Marks every regular container but the app as a sidecar. The app is the annotated default
/// container, else the first whose name is not a sidecar's, else the first.
pub fn mark_sidecars(containers: &mut [ContainerFacts], default_container: Option<&str>) {
    let regular = || containers.iter().filter(|c| !c.init);
    let main = default_container
        .filter(|d| regular().any(|c| c.name == *d))
        .map(str::to_owned)
        .or_else(|| {
            regular()
                .find(|c| !sidecar_name(&c.name))
                .map(|c| c.name.clone())
        })
        .or_else(|| regular().next().map(|c| c.name.clone()));
    for c in containers.iter_mut().filter(|c| !c.init) {
        c.sidecar = main.as_deref() != Some(c.name.as_str());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::ContainerStateFact;

    fn named(names: &[&str]) -> Vec<ContainerFacts> {
        names
            .iter()
            .map(|n| ContainerFacts {
                id: format!("pod/p/{n}"),
                name: (*n).into(),
                init: false,
                image: None,
                ready: true,
                restart_count: 0,
                state: ContainerStateFact::Unknown,
                last_state: None,
                memory_limit: None,
                sidecar: false,
            })
            .collect()
    }

    fn sidecars(names: &[&str], annotation: Option<&str>) -> Vec<String> {
        let mut cs = named(names);
        mark_sidecars(&mut cs, annotation);
        cs.into_iter()
            .filter(|c| c.sidecar)
            .map(|c| c.name)
            .collect()
    }

    #[test]
    fn the_app_is_the_annotated_or_first_non_proxy_container() {
        assert_eq!(sidecars(&["istio-proxy", "app"], None), ["istio-proxy"]);
        assert_eq!(
            sidecars(&["linkerd-proxy", "api", "metrics-exporter"], None),
            ["linkerd-proxy", "metrics-exporter"]
        );
        assert_eq!(sidecars(&["app", "worker"], Some("worker")), ["app"]);
        // An annotation naming no container of the pod is ignored.
        assert_eq!(
            sidecars(&["istio-proxy", "app"], Some("gone")),
            ["istio-proxy"]
        );
        assert_eq!(sidecars(&["proxy-api"], None), Vec::<String>::new());
        assert_eq!(sidecars(&["envoy", "istio-proxy"], None), ["istio-proxy"]);
    }
}
