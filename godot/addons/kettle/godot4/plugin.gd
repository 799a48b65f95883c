# Enabling the plugin registers Steam.gd as the `Steam` autoload; disabling removes it.
# Godot 4.x counterpart of ../plugin.gd: @tool, _enable_plugin/_disable_plugin, path_join.
@tool
extends EditorPlugin

const AUTOLOAD_NAME = "Steam"


func _enable_plugin() -> void:
	add_autoload_singleton(AUTOLOAD_NAME, get_script().resource_path.get_base_dir().path_join("Steam.gd"))


func _disable_plugin() -> void:
	remove_autoload_singleton(AUTOLOAD_NAME)
