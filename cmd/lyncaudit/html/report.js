// Sorting and filtering for the report's tables. The page works without
// it; with it, a header sorts its column, the search box and the kind
// boxes filter rows, and the fragment #sort=port&q=text&kind=a,b sets
// them on load. Errors land in the root's data-errors attribute, where a
// test that dumps the DOM can read them.
(function () {
	"use strict";
	var root = document.documentElement;
	var errors = [];
	function fail(msg) {
		errors.push(String(msg));
		root.setAttribute("data-errors", errors.join(" | "));
	}
	window.addEventListener("error", function (e) { fail(e.message); });

	// cellValue is what a cell sorts by: its data-v, or its text.
	function cellValue(row, i) {
		var c = row.cells[i];
		if (!c) { return ""; }
		var v = c.getAttribute("data-v");
		return v === null ? c.textContent.trim() : v;
	}

	function compare(a, b) {
		if (a === b) { return 0; }
		if (a === "") { return 1; } // empty cells last, whichever way
		if (b === "") { return -1; }
		var x = Number(a), y = Number(b);
		if (!isNaN(x) && !isNaN(y)) { return x - y; }
		return a < b ? -1 : 1;
	}

	// sortTable sorts by the column headed th; dir is "ascending" or
	// "descending". Equal rows keep their order, so sorts can be chained.
	function sortTable(table, th, dir) {
		var i = th.cellIndex, sign = dir === "descending" ? -1 : 1;
		var body = table.tBodies[0];
		var rows = Array.prototype.slice.call(body.rows);
		rows.forEach(function (r, n) { r._n = n; });
		rows.sort(function (a, b) {
			var va = cellValue(a, i), vb = cellValue(b, i);
			if (va === "" || vb === "") { return compare(va, vb) || a._n - b._n; }
			return sign * compare(va, vb) || a._n - b._n;
		});
		rows.forEach(function (r) { body.appendChild(r); });
		Array.prototype.forEach.call(table.tHead.rows[0].cells, function (h) { h.removeAttribute("aria-sort"); });
		th.setAttribute("aria-sort", dir);
		announce(table, "sorted by " + th.textContent.trim() + ", " + dir);
	}

	function tools(table) {
		return document.querySelector('.table-tools[data-for="' + table.id + '"]');
	}

	function announce(table, what) {
		var t = tools(table);
		var out = t && t.querySelector(".shown");
		if (!out) { return; }
		var rows = table.tBodies[0].rows, shown = 0;
		for (var i = 0; i < rows.length; i++) { if (!rows[i].hidden) { shown++; } }
		out.textContent = "showing " + shown + " of " + rows.length + (what ? "; " + what : "");
	}

	// filter shows the rows whose kind is ticked and whose text holds the
	// search box's words.
	function filter(table) {
		var t = tools(table);
		if (!t) { return; }
		var box = t.querySelector("input[type=search]");
		var words = box ? box.value.toLowerCase().split(/\s+/).filter(Boolean) : [];
		var kinds = {}, any = false;
		Array.prototype.forEach.call(t.querySelectorAll("input[data-kind]"), function (c) {
			any = true;
			kinds[c.getAttribute("data-kind")] = c.checked;
		});
		Array.prototype.forEach.call(table.tBodies[0].rows, function (r) {
			var text = r.textContent.toLowerCase();
			var ok = !any || kinds[r.getAttribute("data-kind")] !== false;
			for (var i = 0; ok && i < words.length; i++) { ok = text.indexOf(words[i]) >= 0; }
			r.hidden = !ok;
		});
		announce(table, "");
	}

	function setup(table) {
		Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
			var b = th.querySelector("button");
			if (!b) { return; }
			b.addEventListener("click", function () {
				sortTable(table, th, th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending");
			});
		});
		var t = tools(table);
		if (t) {
			t.addEventListener("input", function () { filter(table); });
			t.addEventListener("change", function () { filter(table); });
		}
		announce(table, "");
	}

	// params reads "a=1&b=2" from the fragment.
	function params() {
		var out = {};
		location.hash.replace(/^#/, "").split("&").forEach(function (kv) {
			var i = kv.indexOf("=");
			if (i > 0) { out[decodeURIComponent(kv.slice(0, i))] = decodeURIComponent(kv.slice(i + 1)); }
		});
		return out;
	}

	function applyFragment(tables) {
		var p = params();
		tables.forEach(function (table) {
			var t = tools(table);
			if (t && p.q !== undefined) { t.querySelector("input[type=search]").value = p.q; }
			if (t && p.kind !== undefined) {
				var want = p.kind.split(",");
				Array.prototype.forEach.call(t.querySelectorAll("input[data-kind]"), function (c) {
					c.checked = want.indexOf(c.getAttribute("data-kind")) >= 0;
				});
			}
			if (p.q !== undefined || p.kind !== undefined) { filter(table); }
			if (p.sort) {
				var key = p.sort.replace(/^-/, "");
				var th = table.tHead.querySelector('th[data-key="' + key + '"]');
				if (th) { sortTable(table, th, p.sort.charAt(0) === "-" ? "descending" : "ascending"); }
			}
		});
	}

	// reveal makes sure the row a link points at (#finding-3) is shown.
	function reveal(tables) {
		var id = location.hash.slice(1);
		var row = id && document.getElementById(id);
		if (!row || row.tagName !== "TR" || !row.hidden) { return; }
		var table = row.closest("table"), t = tools(table);
		var box = t.querySelector("input[type=search]");
		box.value = "";
		var c = t.querySelector('input[data-kind="' + row.getAttribute("data-kind") + '"]');
		if (c) { c.checked = true; }
		filter(table);
		row.scrollIntoView();
	}

	try {
		if (getComputedStyle(root).getPropertyValue("--css-loaded").trim() !== "yes") {
			fail("the stylesheet was not applied");
		}
		var tables = Array.prototype.slice.call(document.querySelectorAll("table.sortable"));
		tables.forEach(setup);
		applyFragment(tables);
		reveal(tables);
		window.addEventListener("hashchange", function () {
			if (location.hash.indexOf("=") >= 0) { applyFragment(tables); } else { reveal(tables); }
		});
		root.setAttribute("data-ready", "true");
	} catch (e) {
		fail(e && e.message ? e.message : e);
	}
})();
