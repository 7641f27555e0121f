"""Offline checks of deploy/k8s: every manifest parses, carries the fields Kubernetes requires, and the
pieces fit together (selectors, the headless Service, probes, volumes, the cluster config's peers)."""

import json
import os
import unittest
from pathlib import Path

import yaml

K8S = Path(os.environ.get("CITYTWIN_SOURCE_DIR", Path(__file__).resolve().parents[2])) / "deploy" / "k8s"


def load_all():
    docs = {}
    for path in sorted(K8S.glob("*.yaml")):
        with open(path) as f:
            for doc in yaml.safe_load_all(f):
                if doc is not None:
                    docs.setdefault(doc.get("kind"), []).append((path.name, doc))
    return docs


def one(docs, kind):
    items = docs.get(kind, [])
    assert len(items) == 1, f"expected one {kind}, found {len(items)}"
    return items[0][1]


class ManifestTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.docs = load_all()
        cls.resources = [d for kind, items in cls.docs.items() if kind != "Kustomization" for _, d in items]

    def test_every_manifest_has_api_version_kind_and_name(self):
        self.assertTrue(self.resources)
        for kind, items in self.docs.items():
            for name, doc in items:
                self.assertIsInstance(doc.get("apiVersion"), str, name)
                self.assertIsInstance(kind, str, name)
                if kind != "Kustomization":
                    self.assertTrue(doc.get("metadata", {}).get("name"), f"{name}: metadata.name")

    def test_kustomization_lists_every_manifest(self):
        kustomization = one(self.docs, "Kustomization")
        listed = set(kustomization["resources"])
        present = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
        self.assertEqual(listed, present)

    def test_statefulset_gives_each_node_an_identity_a_volume_probes_and_resources(self):
        sts = one(self.docs, "StatefulSet")
        spec = sts["spec"]
        self.assertGreaterEqual(spec["replicas"], 1)
        labels = spec["template"]["metadata"]["labels"]
        for k, v in spec["selector"]["matchLabels"].items():
            self.assertEqual(labels.get(k), v, "selector must match the pod labels")
        claims = spec["volumeClaimTemplates"]
        self.assertEqual(len(claims), 1)
        self.assertIn("ReadWriteOnce", claims[0]["spec"]["accessModes"])
        self.assertIn("storage", claims[0]["spec"]["resources"]["requests"])
        annotations = spec["template"]["metadata"]["annotations"]
        self.assertEqual(annotations["prometheus.io/scrape"], "true")
        self.assertTrue(annotations["prometheus.io/port"].isdigit())
        container = spec["template"]["spec"]["containers"][0]
        self.assertTrue(container["image"])
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
            command = container[probe]["exec"]["command"]
            self.assertEqual((command[0], command[-1]), ("twinctl", "health"), probe + " must ask the gRPC health service")
            self.assertIn(f"localhost:{ports['grpc']}", command, probe + " must ask the front door's port")
            self.assertIn("--tls-ca", command, probe + " must speak TLS, as the front door does off loopback")
        self.assertIn("cpu", container["resources"]["requests"])
        self.assertIn("memory", container["resources"]["requests"])
        self.assertIn("memory", container["resources"]["limits"])
        mounts = {m["name"] for m in container["volumeMounts"]}
        volumes = {v["name"] for v in spec["template"]["spec"]["volumes"]} | {c["metadata"]["name"] for c in claims}
        self.assertEqual(mounts - volumes, set(), "every mount needs a volume")

    def test_headless_service_backs_the_statefulset(self):
        sts = one(self.docs, "StatefulSet")
        services = {d["metadata"]["name"]: d for _, d in self.docs["Service"]}
        peers = services[sts["spec"]["serviceName"]]
        self.assertEqual(peers["spec"]["clusterIP"], "None")
        self.assertTrue(peers["spec"].get("publishNotReadyAddresses"), "nodes must find each other before ready")
        frontdoor = [s for s in services.values() if s["spec"].get("clusterIP") != "None"]
        self.assertEqual(len(frontdoor), 1)
        self.assertEqual(frontdoor[0]["spec"]["ports"][0]["targetPort"], "grpc")
        labels = sts["spec"]["template"]["metadata"]["labels"]
        for s in services.values():
            for k, v in s["spec"]["selector"].items():
                self.assertEqual(labels.get(k), v, s["metadata"]["name"])

    def test_pod_disruption_budget_selects_the_nodes(self):
        pdb = one(self.docs, "PodDisruptionBudget")
        self.assertTrue("maxUnavailable" in pdb["spec"] or "minAvailable" in pdb["spec"])
        labels = one(self.docs, "StatefulSet")["spec"]["template"]["metadata"]["labels"]
        for k, v in pdb["spec"]["selector"]["matchLabels"].items():
            self.assertEqual(labels.get(k), v)

    def test_cluster_config_names_one_peer_per_replica_by_its_stable_dns_name(self):
        sts = one(self.docs, "StatefulSet")
        config = json.loads(one(self.docs, "ConfigMap")["data"]["cluster.json"])
        nodes = config["nodes"]
        self.assertEqual(len(nodes), sts["spec"]["replicas"])
        peer_port = next(p["port"] for _, s in self.docs["Service"] if s["metadata"]["name"] == sts["spec"]["serviceName"]
                         for p in s["spec"]["ports"])
        for i, node in enumerate(nodes):
            self.assertEqual(node["id"], i)
            self.assertTrue(node["host"].startswith(f"{sts['metadata']['name']}-{i}.{sts['spec']['serviceName']}."), node["host"])
            self.assertEqual(node["port"], peer_port)

    def test_secret_carries_the_tokens_file_the_pods_read(self):
        secret = one(self.docs, "Secret")
        tokens = json.loads(secret["stringData"]["tokens.json"])
        self.assertTrue(tokens["tokens"])
        args = " ".join(one(self.docs, "StatefulSet")["spec"]["template"]["spec"]["containers"][0]["args"])
        self.assertIn("/etc/citytwin/secrets/tokens.json", args)


if __name__ == "__main__":
    unittest.main()
