package main

import (
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/lipgloss/table"
)

// plainTable draws rows as aligned columns under a header, without
// borders, so the text reads the same with or without colour. Cells are
// escaped: they may hold bytes from packets.
func plainTable(st *styles, headers []string, rows [][]string, cellStyle func(row, col int) lipgloss.Style) string {
	t := table.New().Headers(headers...).Rows(escapeRows(rows)...).
		Border(lipgloss.HiddenBorder()).
		BorderTop(false).BorderBottom(false).BorderLeft(false).BorderRight(false).
		BorderHeader(false).BorderColumn(false).BorderRow(false).
		StyleFunc(func(row, col int) lipgloss.Style {
			// Padding is not inherited, so each style gets the gap itself.
			if row == table.HeaderRow {
				return st.header.PaddingRight(2)
			}
			if cellStyle != nil {
				return cellStyle(row, col).PaddingRight(2)
			}
			return st.cell.PaddingRight(2)
		})
	return trimLines(t.Render())
}

// trimLines drops the padding lipgloss leaves at the end of table lines.
func trimLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

func escapeRows(rows [][]string) [][]string {
	for _, r := range rows {
		for i := range r {
			r[i] = escape(r[i])
		}
	}
	return rows
}
