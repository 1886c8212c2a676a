// The rules of src/collect/scrub.ts (scrubQemuSecretsLine) as a POSIX awk program, for the
// standalone script: mawk, gawk and busybox awk have no case-insensitive matching or
// back-references, so each rule is a small scanner. test/unit/script-scrub.test.ts runs
// both over the same lines and requires the same output, byte for byte.
//
// Input: the item's output followed by one extra "\n", so that awk's records are exactly
// the JavaScript split('\n') of the output; records are printed joined by "\n".
export const SCRUB_AWK = String.raw`
function isspace(c) { return c == " " || c == "\t" || c == "\r" || c == "\f" || c == "\v" || c == "\240" }
function isword(c) { return c ~ /^[A-Za-z0-9_]$/ }
function stopsvalue(c) { return c == "," || c == "'" || c == "\"" || isspace(c) }
function isbool(v,  l) { l = tolower(v); return l == "on" || l == "off" || l == "yes" || l == "no" || l == "true" || l == "false" }
# (^|[,\s'":])(password|passwd)=([^,\s'"]*), case-insensitive; empty and boolean values stay
function rule_keyvalue(s,  low, out, i, n, k, klen, p, j, v, c) {
  low = tolower(s); out = ""; i = 1; n = length(s)
  while (i <= n) {
    k = 0
    if (substr(low, i, 9) == "password=") klen = 8
    else if (substr(low, i, 7) == "passwd=") klen = 6
    else klen = 0
    if (klen) { p = (i == 1) ? "" : substr(s, i - 1, 1); if (i == 1 || p == ":" || stopsvalue(p)) k = 1 }
    if (!k) { out = out substr(s, i, 1); i++; continue }
    j = i + klen + 1
    while (j <= n && !stopsvalue(substr(s, j, 1))) j++
    v = substr(s, i + klen + 1, j - i - klen - 1)
    if (v == "" || isbool(v)) out = out substr(s, i, j - i)
    else out = out substr(s, i, klen + 1) "<redacted>"
    i = j
  }
  return out
}
# A JSON string starting at i (the opening quote); returns the index after it, or 0.
function jsonstring_end(s, i, n,  c) {
  if (substr(s, i, 1) != "\"") return 0
  i++
  while (i <= n) {
    c = substr(s, i, 1)
    if (c == "\\") { if (i + 1 > n) return 0; i += 2; continue }
    if (c == "\"") return i + 1
    i++
  }
  return 0
}
# ("KEY"\s*:\s*)"(?:[^"\\]|\\.)*" for the given lowercase keys; nocase: compare lowercased
function rule_jsonkey(s, keys, nocase,  low, out, i, n, nk, kk, t, j, e, m, q) {
  low = nocase ? tolower(s) : s; out = ""; i = 1; n = length(s)
  nk = split(keys, kk, " ")
  while (i <= n) {
    m = 0
    for (t = 1; t <= nk && !m; t++) {
      q = "\"" kk[t] "\""
      if (substr(low, i, length(q)) != q) continue
      j = i + length(q)
      while (j <= n && isspace(substr(s, j, 1))) j++
      if (substr(s, j, 1) != ":") continue
      j++
      while (j <= n && isspace(substr(s, j, 1))) j++
      e = jsonstring_end(s, j, n)
      if (e) m = 1
    }
    if (!m) { out = out substr(s, i, 1); i++; continue }
    out = out substr(s, i, j - i) "\"<redacted>\""
    i = e
  }
  return out
}
# (\b(?:passwd|password)\s*=\s*)(['"])[^'"]*\2, case-insensitive
function rule_attr(s,  low, out, i, n, t, klen, j, q, e, m) {
  low = tolower(s); out = ""; i = 1; n = length(s)
  while (i <= n) {
    m = 0
    if (i == 1 || !isword(substr(s, i - 1, 1))) {
      for (t = 1; t <= 2 && !m; t++) {
        klen = (t == 1) ? 6 : 8
        if (substr(low, i, klen) != ((t == 1) ? "passwd" : "password")) continue
        j = i + klen
        while (j <= n && isspace(substr(s, j, 1))) j++
        if (substr(s, j, 1) != "=") continue
        j++
        while (j <= n && isspace(substr(s, j, 1))) j++
        q = substr(s, j, 1)
        if (q != "'" && q != "\"") continue
        e = j + 1
        while (e <= n && substr(s, e, 1) != "'" && substr(s, e, 1) != "\"") e++
        if (e <= n && substr(s, e, 1) == q) m = 1
      }
    }
    if (!m) { out = out substr(s, i, 1); i++; continue }
    out = out substr(s, i, j - i + 1) "<redacted>" q
    i = e + 1
  }
  return out
}
# (^|[,\s'"])data=([^,\s'"]*), case-sensitive; every value is replaced
function rule_data(s,  out, i, n, p, j) {
  out = ""; i = 1; n = length(s)
  while (i <= n) {
    if (substr(s, i, 5) == "data=") {
      p = (i == 1) ? "" : substr(s, i - 1, 1)
      if (i == 1 || stopsvalue(p)) {
        j = i + 5
        while (j <= n && !stopsvalue(substr(s, j, 1))) j++
        out = out "data=<redacted>"
        i = j
        continue
      }
    }
    out = out substr(s, i, 1); i++
  }
  return out
}
# ^(cipassword:\s*)(\S.*)$ (Proxmox VE)
function rule_cipassword(s,  i, n) {
  n = length(s); i = 12
  while (i <= n && isspace(substr(s, i, 1))) i++
  if (i > n || index(substr(s, i), "\r")) return s
  return substr(s, 1, i - 1) "<redacted>"
}
# (\b(?:vnc|spice)passwd\s*=\s*)(?:(['"])[^'"]*\2|[^,\s]+), case-insensitive (xl)
function rule_vncspice(s,  low, out, i, n, k, j, q, e, m) {
  low = tolower(s); out = ""; i = 1; n = length(s)
  while (i <= n) {
    m = 0
    if (i == 1 || !isword(substr(s, i - 1, 1))) {
      k = 0
      if (substr(low, i, 3) == "vnc") k = i + 3
      else if (substr(low, i, 5) == "spice") k = i + 5
      if (k && substr(low, k, 6) == "passwd") {
        j = k + 6
        while (j <= n && isspace(substr(s, j, 1))) j++
        if (substr(s, j, 1) == "=") {
          j++
          while (j <= n && isspace(substr(s, j, 1))) j++
          q = substr(s, j, 1)
          if (q == "'" || q == "\"") {
            e = j + 1
            while (e <= n && substr(s, e, 1) != "'" && substr(s, e, 1) != "\"") e++
            if (e <= n && substr(s, e, 1) == q) { out = out substr(s, i, j - i) q "<redacted>" q; i = e + 1; m = 1 }
          }
          if (!m) {
            e = j
            while (e <= n && substr(s, e, 1) != "," && !isspace(substr(s, e, 1))) e++
            if (e > j) { out = out substr(s, i, j - i) "<redacted>"; i = e; m = 1 }
          }
        }
      }
    }
    if (!m) { out = out substr(s, i, 1); i++ }
  }
  return out
}
# (:key=)([^:,\s'"]+)
function rule_cephkey(s,  out, i, n, j, c) {
  out = ""; i = 1; n = length(s)
  while (i <= n) {
    if (substr(s, i, 5) == ":key=") {
      j = i + 5
      while (j <= n) { c = substr(s, j, 1); if (c == ":" || stopsvalue(c)) break; j++ }
      if (j > i + 5) { out = out ":key=<redacted>"; i = j; continue }
    }
    out = out substr(s, i, 1); i++
  }
  return out
}
function scrub(s) {
  if (index(tolower(s), "passw")) {
    s = rule_keyvalue(s)
    s = rule_jsonkey(s, "password passwd", 1)
    s = rule_attr(s)
  }
  if (index(tolower(s), "secret")) {
    if (index(s, "data=")) s = rule_data(s)
    if (index(s, "\"data\"")) s = rule_jsonkey(s, "data", 0)
  }
  if (substr(s, 1, 11) == "cipassword:") s = rule_cipassword(s)
  if (index(tolower(s), "passwd")) s = rule_vncspice(s)
  if (index(s, ":key=")) s = rule_cephkey(s)
  # libvirt logs: the environment QEMU was started with, one NAME=value \ per line
  if (s ~ /^[A-Za-z_][A-Za-z0-9_]*=/ && substr(s, length(s) - 1) == " \\" && index(s, "\r") == 0) {
    s = substr(s, 1, index(s, "=")) "<redacted> \\"
  }
  return s
}
{ printf "%s%s", (NR > 1 ? "\n" : ""), scrub($0) }
`;
