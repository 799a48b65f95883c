// Name rules shared by client and server (docs/protocol.md §12.3). UTF-8 is checked by hand so
// the rules are exact and identical everywhere: no locale, no library that accepts CESU-8 or
// overlong forms.
#include <string>

#include "control/messages.hpp"

namespace kettle::control {
namespace {

// Characters that render as nothing: a name made only of these looks empty in a friends list.
bool is_blank(std::uint32_t cp) noexcept {
  switch (cp) {
    case 0x20:    // space
    case 0xA0:    // no-break space
    case 0x115F:  // Hangul choseong filler
    case 0x1160:  // Hangul jungseong filler
    case 0x1680:  // Ogham space mark
    case 0x180E:  // Mongolian vowel separator
    case 0x2028:  // line separator
    case 0x2029:  // paragraph separator
    case 0x202F:  // narrow no-break space
    case 0x205F:  // medium mathematical space
    case 0x2060:  // word joiner
    case 0x3000:  // ideographic space
    case 0x3164:  // Hangul filler
    case 0xFEFF:  // zero width no-break space
    case 0xFFA0:  // halfwidth Hangul filler
      return true;
    default:
      return (cp >= 0x2000 && cp <= 0x200D);  // en quad .. zero width joiner
  }
}

Error bad(std::string why, std::size_t offset) {
  return make_error(Errc::invalid_argument, "name: " + why + " at byte " + std::to_string(offset));
}

}  // namespace

Status validate_name(std::string_view name, std::size_t max_bytes) {
  if (name.empty()) return make_error(Errc::invalid_argument, "name: empty");
  if (name.size() > max_bytes) {
    return make_error(Errc::invalid_argument, "name: " + std::to_string(name.size()) + " bytes, over the limit of " +
                                                  std::to_string(max_bytes));
  }
  bool blank = true;
  std::size_t i = 0;
  while (i < name.size()) {
    const auto lead = static_cast<std::uint8_t>(name[i]);
    std::size_t len = 0;
    std::uint32_t cp = 0;
    std::uint32_t min = 0;
    if (lead < 0x80) {
      len = 1;
      cp = lead;
    } else if ((lead & 0xE0) == 0xC0) {
      len = 2;
      cp = lead & 0x1F;
      min = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
      len = 3;
      cp = lead & 0x0F;
      min = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
      len = 4;
      cp = lead & 0x07;
      min = 0x10000;
    } else {
      return bad("invalid UTF-8 lead byte", i);
    }
    if (name.size() - i < len) return bad("truncated UTF-8 sequence", i);
    for (std::size_t k = 1; k < len; ++k) {
      const auto c = static_cast<std::uint8_t>(name[i + k]);
      if ((c & 0xC0) != 0x80) return bad("invalid UTF-8 continuation byte", i + k);
      cp = (cp << 6) | (c & 0x3F);
    }
    if (cp < min) return bad("overlong UTF-8 encoding", i);
    if (cp >= 0xD800 && cp <= 0xDFFF) return bad("UTF-16 surrogate in UTF-8", i);
    if (cp > 0x10FFFF) return bad("code point above U+10FFFF", i);
    if (cp < 0x20 || cp == 0x7F) return bad("control character", i);
    if (!is_blank(cp)) blank = false;
    i += len;
  }
  if (blank) return make_error(Errc::invalid_argument, "name: only whitespace");
  return {};
}

}  // namespace kettle::control
