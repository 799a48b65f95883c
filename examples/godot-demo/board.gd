# Tic-tac-toe rules. Each player keeps its own copy and applies the same moves; at the end both
# send their result so a disagreement (a lost or forged move) shows instead of passing silently.
extends Reference

const EMPTY = "."
const LINES = [[0, 1, 2], [3, 4, 5], [6, 7, 8], [0, 3, 6], [1, 4, 7], [2, 5, 8], [0, 4, 8], [2, 4, 6]]

var cells := []
var turn := 0  # moves played so far; X moves on even turns


func _init() -> void:
	reset()


func reset() -> void:
	cells.clear()
	for _i in range(9):
		cells.append(EMPTY)
	turn = 0


func mark_to_move() -> String:
	return "X" if turn % 2 == 0 else "O"


func can_play(cell: int) -> bool:
	return winner() == "" and cell >= 0 and cell < 9 and cells[cell] == EMPTY


func play(cell: int) -> bool:
	if not can_play(cell):
		return false
	cells[cell] = mark_to_move()
	turn += 1
	return true


# "X" or "O" once a line is complete, "draw" when the board is full, "" while the game runs.
func winner() -> String:
	for line in LINES:
		var mark: String = cells[line[0]]
		if mark != EMPTY and cells[line[1]] == mark and cells[line[2]] == mark:
			return mark
	return "draw" if turn >= 9 else ""


# The board as nine characters, row by row (e.g. "XOO.X...X").
func as_string() -> String:
	var s := ""
	for c in cells:
		s += c
	return s
