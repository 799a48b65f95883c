// kettle_embedded_server: kettle::EmbeddedServer behind a C handle. Address and key are read
// once at start; they never change for a running server, and configure() hands out pointers.
#include "capi/capi_internal.hpp"

using kettle::capi::copy_message;
using kettle::capi::copy_out;
using kettle::capi::guarded;

extern "C" kettle_result kettle_embedded_server_options_init(kettle_embedded_server_options* options) {
  if (options == nullptr) return KETTLE_ERR_INVALID_ARGUMENT;
  return guarded([options] {
    // String fields stay NULL (the C++ defaults); the numbers come from EmbeddedServer::Options.
    const kettle::EmbeddedServer::Options d;
    *options = kettle_embedded_server_options{};
    options->struct_size = sizeof(kettle_embedded_server_options);
    options->http = d.http ? 1 : 0;
    options->certificate_lifetime_s = d.certificate_lifetime_s;
    options->backend_liveness_s = d.backend_liveness_s;
    options->precise_session_errors = d.precise_session_errors ? 1 : 0;
    return KETTLE_OK;
  });
}

extern "C" kettle_result kettle_embedded_server_start(const kettle_embedded_server_options* options,
                                                      kettle_embedded_server** out, char* error, size_t error_size) {
  copy_message("", error, error_size);
  if (out != nullptr) *out = nullptr;
  if (options == nullptr || out == nullptr) {
    copy_message(options == nullptr ? "kettle_embedded_server_start: options is NULL"
                                    : "kettle_embedded_server_start: out is NULL",
                 error, error_size);
    return KETTLE_ERR_INVALID_ARGUMENT;
  }
  if (options->struct_size != sizeof(kettle_embedded_server_options)) {
    copy_message("kettle_embedded_server_start: options were not set up by kettle_embedded_server_options_init", error,
                 error_size);
    return KETTLE_ERR_INVALID_ARGUMENT;
  }
  return guarded([&] {
    kettle::EmbeddedServer::Options o;
    if (options->db_path != nullptr) o.db_path = options->db_path;
    if (options->udp != nullptr) o.udp = options->udp;
    o.http = options->http != 0;
    if (options->key_seed_hex != nullptr) o.key_seed_hex = options->key_seed_hex;
    o.certificate_lifetime_s = options->certificate_lifetime_s;
    o.backend_liveness_s = options->backend_liveness_s;
    o.precise_session_errors = options->precise_session_errors != 0;
    std::string why;
    auto handle = std::make_unique<kettle_embedded_server>();
    handle->server = kettle::EmbeddedServer::Start(o, &why);
    if (!handle->server) {
      copy_message(why, error, error_size);
      return KETTLE_ERR_SERVER_START;
    }
    handle->address = handle->server->address();
    handle->public_key = handle->server->public_key();
    handle->http_address = handle->server->http_address();
    *out = handle.release();  // owned by the caller until kettle_embedded_server_destroy
    return KETTLE_OK;
  });
}

extern "C" void kettle_embedded_server_destroy(kettle_embedded_server* server) {
  (void)guarded([server] {
    std::unique_ptr<kettle_embedded_server> owned(server);
    return KETTLE_OK;
  });
}

namespace {

kettle_result copy_field(const kettle_embedded_server* server, const std::string kettle_embedded_server::*field,
                         char* buf, size_t buf_size, size_t* needed) {
  if (needed != nullptr) *needed = 0;
  if (server == nullptr) return KETTLE_ERR_INVALID_ARGUMENT;
  return copy_out(server->*field, buf, buf_size, needed);
}

}  // namespace

extern "C" kettle_result kettle_embedded_server_address(const kettle_embedded_server* server, char* buf,
                                                        size_t buf_size, size_t* needed) {
  return copy_field(server, &kettle_embedded_server::address, buf, buf_size, needed);
}

extern "C" kettle_result kettle_embedded_server_public_key(const kettle_embedded_server* server, char* buf,
                                                           size_t buf_size, size_t* needed) {
  return copy_field(server, &kettle_embedded_server::public_key, buf, buf_size, needed);
}

extern "C" kettle_result kettle_embedded_server_http_address(const kettle_embedded_server* server, char* buf,
                                                             size_t buf_size, size_t* needed) {
  return copy_field(server, &kettle_embedded_server::http_address, buf, buf_size, needed);
}

extern "C" kettle_result kettle_embedded_server_configure(const kettle_embedded_server* server,
                                                          kettle_client_config* cfg) {
  if (server == nullptr || cfg == nullptr) return KETTLE_ERR_INVALID_ARGUMENT;
  cfg->server = server->address.c_str();
  cfg->server_key = server->public_key.c_str();
  return KETTLE_OK;
}
