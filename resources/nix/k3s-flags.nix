# The k3s command-line flags for one node, from the homelab.k3s settings (see k3s.nix). Plain
# builtins, no nixpkgs: Homelab's tests evaluate this file with nix-instantiate to check that what
# the bootstrap plans is what the node runs.
cfg:
let
  isServer = cfg.role == "server";
  flag = name: value: [ "--${name}" value ];
  concatMap = f: list: builtins.concatLists (map f list);
in
  (flag "node-name" cfg.nodeName)
  ++ (if cfg.nodeIp != "" then flag "node-ip" cfg.nodeIp else [ ])
  ++ (if isServer then
    [ "--write-kubeconfig-mode" "0600" ]
    ++ concatMap (flag "tls-san") cfg.tlsSans
    ++ concatMap (flag "disable") cfg.disable
    ++ flag "cluster-cidr" cfg.clusterCidr
    ++ flag "service-cidr" cfg.serviceCidr
    ++ (if cfg.apiPort != 6443 then flag "https-listen-port" (toString cfg.apiPort) else [ ])
  else [ ])
