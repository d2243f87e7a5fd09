# Self instructions per ELF object in a callgrind output file. Object names are compressed
# ("ob=(3) /path" once, "ob=(3)" after, also defined by cob= lines); the inclusive cost line
# that follows each calls= line is not self cost.
function object_name(spec,    id, rest) {
  if (!match(spec, /^\([0-9]+\)/)) return spec
  id = substr(spec, RSTART, RLENGTH)
  rest = substr(spec, RLENGTH + 2)
  if (rest != "") names[id] = rest
  return names[id]
}
/^ob=/ { current = object_name(substr($0, 4)); next }
/^cob=/ { object_name(substr($0, 5)); next }
/^calls=/ { skip = 1; next }
/^[-+*0-9]/ { if (skip) { skip = 0; next } self[current] += $2; next }
END { for (o in self) printf "%s\t%d\n", o, self[o] }
