// Validates every manifest in deploy/k8s against the Kubernetes API schemas, offline (npm
// kubernetes-models: the OpenAPI schemas of the API groups, checked with ajv). Exit 1 names each
// manifest that fails, with the schema's reason. Also checks that a broken manifest is rejected, so a
// validator that accepts anything cannot pass.
const fs = require('node:fs');
const path = require('node:path');
const YAML = require('yaml');
const models = require('kubernetes-models');

// apiVersion "apps/v1" -> models.apps.v1; "v1" -> models.v1; "policy/v1" -> models.policy.v1.
function modelFor(apiVersion, kind) {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : [null, apiVersion];
  const groupKey = group ? group.replace(/\.([a-z])/g, (_, c) => c.toUpperCase()).replace(/^[a-z]/, (c) => c) : null;
  const scope = group ? models[groupKey] : models;
  const Model = scope && scope[version] && scope[version][kind];
  if (!Model) throw new Error(`no schema for ${apiVersion} ${kind}`);
  return Model;
}

function validate(doc) {
  const Model = modelFor(doc.apiVersion, doc.kind);
  new Model(doc).validate();  // throws with the schema's errors
}

const dir = process.argv[2];
let failures = 0;
let checked = 0;
for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()) {
  const docs = YAML.parseAllDocuments(fs.readFileSync(path.join(dir, file), 'utf8'));
  docs.forEach((d, i) => {
    if (d.errors.length) {
      console.log(`${file}[${i}]: not valid YAML: ${d.errors[0].message}`);
      failures++;
      return;
    }
    const doc = d.toJS();
    if (!doc || doc.kind === 'Kustomization') return;  // kustomize's own file, not an API object
    try {
      validate(doc);
      checked++;
      console.log(`${file}[${i}]: ${doc.apiVersion} ${doc.kind} ${doc.metadata && doc.metadata.name}: valid`);
    } catch (e) {
      failures++;
      console.log(`${file}[${i}]: ${doc.apiVersion} ${doc.kind}: ${e.message}`);
    }
  });
}

// The validator itself: a StatefulSet whose replica count is text, and one without a selector, must fail.
const broken = [
  { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'x' },
    spec: { replicas: 'three', serviceName: 'x', selector: { matchLabels: { a: 'b' } }, template: {} } },
  { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'x' }, spec: { serviceName: 'x', template: {} } },
];
for (const doc of broken) {
  try {
    validate(doc);
    console.log(`the validator accepted a broken manifest: ${JSON.stringify(doc.spec)}`);
    failures++;
  } catch (e) {
    // expected
  }
}
console.log(`${checked} manifests valid, ${failures} problems`);
process.exit(failures || checked === 0 ? 1 : 0);
