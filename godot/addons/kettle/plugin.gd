# Enabling the plugin registers Steam.gd as the `Steam` autoload; disabling removes it.
tool
extends EditorPlugin

const AUTOLOAD_NAME = "Steam"


func enable_plugin() -> void:
	add_autoload_singleton(AUTOLOAD_NAME, get_script().resource_path.get_base_dir().plus_file("Steam.gd"))


func disable_plugin() -> void:
	remove_autoload_singleton(AUTOLOAD_NAME)
