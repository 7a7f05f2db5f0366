// Masks statistics in a session's replies before two of them are compared: `stats` answers
// carry figures that legitimately differ between two runs of the same requests (CPU time,
// uptime, byte counts that depend on read boundaries, memory accounting that depends on the
// cache implementation). A rule names, per statistic, what to do with it; everything else in
// the replies is kept byte for byte.
//
// Both forms of a stats answer are recognised exactly: text `STAT <name> <value>\r\n` lines
// (the walk skips the data blocks that VALUE and VA lines announce, so a stored value that
// looks like a STAT line is left alone) and binary Stat responses (magic 0x81, opcode 0x10,
// status 0, the name in the key, the figure in the value).
#pragma once

#include <string>
#include <string_view>

namespace cuckood::fuzz {

enum class StatMask {
  kKeep,   // compared as it is
  kValue,  // the value becomes "*" (the statistic must be there on both sides)
  kDrop,   // the whole line / packet goes (whether it is there at all may differ)
};

using StatRule = StatMask (*)(std::string_view name);

// `reply` is everything one session answered; `binary`: it spoke the binary protocol.
std::string mask_stats(std::string_view reply, bool binary, StatRule rule);

}  // namespace cuckood::fuzz
