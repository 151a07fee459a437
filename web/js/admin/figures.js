// A <dl> of labelled figures, shared by the admin sections.

/** Fill `dl` with [label, value, tone?] pairs; tone "good"/"bad" colours the value. */
export function figures(dl, items) {
  dl.replaceChildren(
    ...items.map(([label, value, tone]) => {
      const box = document.createElement("div");
      const dt = document.createElement("dt");
      dt.textContent = label;
      const dd = document.createElement("dd");
      dd.textContent = String(value);
      if (tone) dd.dataset.tone = tone;
      box.append(dt, dd);
      return box;
    }),
  );
}
