/**
 * The architecture's arrows: datapath <- modes <- topology <- cli, bench. The kernel knows
 * nothing of Kubernetes; kube-proxy's modes know no YAML and no cluster; the CLI only wires.
 */
module.exports = {
  forbidden: [
    { name: 'datapath-is-the-kernel', severity: 'error', comment: 'datapath/ may import only datapath/ (and packages)',
      from: { path: '^datapath/' }, to: { path: '^(modes|topology|cli|bench)/' } },
    { name: 'modes-build-on-datapath', severity: 'error', comment: 'modes/ may not import topology/, cli/ or bench/',
      from: { path: '^modes/' }, to: { path: '^(topology|cli|bench)/' } },
    { name: 'topology-below-the-front-doors', severity: 'error', comment: 'topology/ may not import cli/ or bench/',
      from: { path: '^topology/' }, to: { path: '^(cli|bench)/' } },
    { name: 'no-circular-folders', severity: 'error', from: { path: '^(datapath|modes|topology)/' }, to: { circular: true, path: '^(cli|bench)/' } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^node_modules|^dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // NodeNext imports name the compiled '.js'; resolve them to the '.ts' sources.
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.cjs', '.json'] },
  },
};
