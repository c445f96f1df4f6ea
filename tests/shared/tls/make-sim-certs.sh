#!/usr/bin/env bash
# Test certificates for TLS in the simulation, made at test time with openssl
# (nothing private is committed). A simulation's clock starts at
# 2026-01-01T00:00:00Z, so these are valid from 2025 to 2036 (`openssl ca`
# sets the dates; OpenSSL 3.0's req/x509 cannot). Ed25519 keys: their
# signatures are deterministic, so a seed gives byte-for-byte the same run.
#
#   make-sim-certs.sh DIR
#
# DIR/ca.pem            the test CA (CN=evloop sim CA)
# DIR/server.pem/.key   CN=server, subjectAltName DNS:server, signed by the CA
# DIR/other-ca.pem      an unrelated CA (a client trusting only it rejects server.pem)
# DIR/expired.pem/.key  CN=server, signed by the CA, valid in 2024 only
# DIR/client.pem/.key   CN=evloop client (client authentication), signed by the CA
set -euo pipefail
dir=$1
mkdir -p "$dir"
cd "$dir"
cat > ca.cnf <<'CNF'
[ca]
default_ca = sim_ca
[sim_ca]
database = index.txt
new_certs_dir = .
serial = serial
default_md = default
policy = any
copy_extensions = copy
unique_subject = no
[any]
commonName = supplied
organizationName = optional
[v3_ca]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[leaf]
basicConstraints = CA:false
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
: > index.txt
echo 01 > serial
q() { "$@" >/dev/null 2>&1 || { echo "make-sim-certs: failed: $*" >&2; "$@"; exit 1; }; }
csr() { q openssl req -new -newkey ed25519 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2" ${3:+-addext "$3"}; }
sign() { # name issuer-cert issuer-key start end extensions
  q openssl ca -batch -config ca.cnf -cert "$2" -keyfile "$3" -in "$1.csr" -out "$1.pem" -startdate "$4" -enddate "$5" -extensions "$6" -notext
}
self_sign() { # name start end
  q openssl ca -batch -config ca.cnf -selfsign -keyfile "$1.key" -in "$1.csr" -out "$1.pem" -startdate "$2" -enddate "$3" -extensions v3_ca -notext
}
from=20250101000000Z
to=20360101000000Z
csr ca "/CN=evloop sim CA"
self_sign ca $from $to
csr other-ca "/CN=evloop other CA"
self_sign other-ca $from $to
csr server "/O=evloop/CN=server" "subjectAltName=DNS:server"
sign server ca.pem ca.key $from $to leaf
csr expired "/O=evloop/CN=server" "subjectAltName=DNS:server"
sign expired ca.pem ca.key 20240101000000Z 20250101000000Z leaf
csr client "/CN=evloop client" "extendedKeyUsage=clientAuth"
sign client ca.pem ca.key $from $to leaf
rm -f ./*.csr index.txt* serial* ./*.cnf ./0*.pem other-ca.key
