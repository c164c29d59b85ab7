// Text that goes into the XML documents GDB reads (library lists, thread lists with names):
// the five characters XML gives meaning to become entities, so a library path or a thread
// name holding '<' or '"' cannot break the document.
#pragma once
#include <string>
#include <string_view>

namespace xolstub::stub {

std::string xml_escape(std::string_view text);

} // namespace xolstub::stub
