// Writes one fuzz seed per sample message (tests/control/sample_messages.hpp) into the
// directory given as argv[1], normally fuzz/corpus/control. ControlFuzzSeeds checks that the
// checked-in files still decode.
#include <cstdio>
#include <fstream>
#include <string>

#include "control/sample_messages.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  for (const auto& [name, m] : kettle::control::testing::sample_messages()) {
    const auto bytes = kettle::control::encode(m);
    std::ofstream f(std::string(argv[1]) + "/" + name, std::ios::binary);
    f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!f) {
      std::fprintf(stderr, "cannot write %s\n", name.c_str());
      return 1;
    }
    std::printf("%-22s %zu bytes\n", name.c_str(), bytes.size());
  }
  return 0;
}
