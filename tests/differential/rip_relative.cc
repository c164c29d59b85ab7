#include "tests/differential/rip_relative.h"

#include <cstring>
#include <stdexcept>

#include "tests/differential/layout.h"

namespace xolstub::differential {

std::vector<std::uint8_t> aim_at_scratch(std::vector<std::uint8_t> bytes, unsigned disp_offset) {
  if (disp_offset == 0) return bytes;
  if (disp_offset + 4 > bytes.size()) throw std::runtime_error("a displacement offset past the end of the instruction");
  // The displacement is relative to the next instruction's address.
  const std::uint64_t next = layout::site + bytes.size();
  const auto disp = static_cast<std::int32_t>(static_cast<std::int64_t>(layout::rip_target - next));
  std::memcpy(bytes.data() + disp_offset, &disp, 4);
  return bytes;
}

std::vector<std::uint8_t> aim_at_scratch(const DecodedInstruction& instruction) {
  const unsigned offset = instruction.displacement_offset();
  // Capstone 4's disp_size says 2 after an operand-size prefix; its offset is right, which the
  // value there confirms.
  std::int32_t there = 0;
  if (offset != 0 && offset + 4 <= instruction.bytes.size()) std::memcpy(&there, instruction.bytes.data() + offset, 4);
  if (offset != 0 && (offset + 4 > instruction.bytes.size() || there != static_cast<std::int32_t>(instruction.x86().disp)))
    throw std::runtime_error("RIP-relative `" + instruction.text + "`: Capstone's displacement offset " +
                             std::to_string(offset) + " does not hold its displacement");
  return aim_at_scratch(instruction.bytes, offset);
}

} // namespace xolstub::differential
