#pragma once
// The tri-state every parser of untrusted bytes returns (Envoy tls_inspector, HAProxy payload.c):
// "too short so far" must never be confused with "malformed".
namespace tollgate::inspect {
enum class ParseState { Done, NeedMore, Error };
}  // namespace tollgate::inspect
