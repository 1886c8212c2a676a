# ---- run: slow items alone, the others in a few lanes side by side (as collect runs
# several commands at once) ----
printf '%s: collecting %s (%s, %s, %s)\n' "$NB_ME" "$level" "$f_hostname" "$f_arch" "$priv" >&2
nb_pids=
for nb_n in $NB_SLOW; do ( nb_item_$nb_n ) & nb_pids="$nb_pids $!"; done
nb_lane=0
while [ $nb_lane -lt $NB_LANES ]; do
  (
    nb_i=0
    for nb_n in $NB_ITEMS; do
      case " $NB_SLOW " in *" $nb_n "*) continue ;; esac
      [ $((nb_i % NB_LANES)) -eq $nb_lane ] && nb_item_$nb_n
      nb_i=$((nb_i + 1))
    done
  ) &
  nb_pids="$nb_pids $!"
  nb_lane=$((nb_lane + 1))
done
for nb_p in $nb_pids; do wait "$nb_p"; done
nb_finished=$(nb_iso)

# ---- manifest of this level, then the archive ----
nb_items=
for n in $NB_ITEMS; do
  [ -s "$work/rec/$n" ] || continue
  nb_items="$nb_items${nb_items:+,
    }$(cat "$work/rec/$n")"
done
nb_failed=$(for n in $NB_ITEMS; do [ -s "$work/rec/$n" ] && { cat "$work/rec/$n"; echo; }; done | grep -Ec '"status":"(failed|timed-out)"')
{
  printf '{\n  "tool": "nestbug",\n  "collectedBy": "nestbug-collect.sh",\n  "version": "%s",\n  "formatVersion": 1,\n' "$NB_VERSION"
  printf '  "commandLine": ['
  sep=
  while IFS= read -r a; do printf '%s' "$sep"; nb_json_text "$a"; sep=', '; done <<NB_EOF
$nb_cmdline
NB_EOF
  printf '],\n  "startedAt": "%s",\n  "finishedAt": "%s",\n' "$nb_started" "$nb_finished"
  printf '  "levels": [{\n    "level": "%s",\n    "target": ' "$level"; nb_json_text "$target"
  printf ',\n    "reached": true,\n    "facts": {"arch": '; nb_json_text "$f_arch"
  [ -n "$f_vendor" ] && { printf ', "vendor": '; nb_json_text "$f_vendor"; }
  printf ', "user": '; nb_json_text "$f_user"
  printf ', "uid": %s, "hostname": ' "$f_uid"; nb_json_text "$f_hostname"
  printf ', "privilege": "%s"' "$priv"
  [ -n "$noroot" ] && { printf ', "privilegeNote": '; nb_json_text "$noroot"; }
  printf '},\n    "items": [\n    %s\n    ]\n  }]\n}\n' "$nb_items"
} >"$stage/manifest.json"
nb_partial="$out.partial.$$"
if (cd "$work/stage" && tar -cf - "$nb_top") | gzip -c >"$nb_partial" && mv "$nb_partial" "$out"; then
  printf '%s\n' "$out"
  printf '%s: %s written (%s bytes; %s item(s) failed)\n' "$NB_ME" "$out" "$(nb_bytes "$out")" "$nb_failed" >&2
else
  rm -f "$nb_partial"
  nb_die "cannot write $out" 1
fi
[ "$nb_failed" -eq 0 ] || exit 3
exit 0
