// The state page: export, import, reset with a confirmation.
"use strict";

start(() => {
  $("#export-form").addEventListener("submit", (e) => {
    e.preventDefault();
    act($(".error", e.target), async () => {
      const all = values(e.target).scope === "all";
      const doc = await api("GET", "/_mock/state", undefined, all ? {} : inApp());
      const blob = new Blob([json(doc)], { type: "application/json" });
      const link = el("a", { href: URL.createObjectURL(blob), download: `moonkey-mock-${all ? "state" : APP}.json` });
      document.body.append(link);
      link.click();
      link.remove();
    });
  });
  $("#import-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const ok = $(".ok", e.target);
    show(ok, "");
    act($(".error", e.target), async () => {
      const file = e.target.elements.file.files[0];
      if (!file) throw new Refused("Choose an export file first");
      let doc;
      try { doc = JSON.parse(await file.text()); } catch (err) { throw new Refused("The file is not JSON"); }
      const done = await api("POST", "/_mock/state", doc);
      show(ok, `Imported ${done.apps.join(", ")}: ` + Object.entries(done.counts).map(([k, n]) => `${n} ${k}`).join(", "));
    });
  });
  const form = $("#reset-form");
  const confirm = $(".confirm", form);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    confirm.hidden = false;
    $("[data-confirm]", confirm).focus();
  });
  $("[data-cancel]", confirm).addEventListener("click", () => { confirm.hidden = true; });
  $("[data-confirm]", confirm).addEventListener("click", () => {
    const ok = $(".ok", form);
    show(ok, "");
    act($(".error", form), async () => {
      const v = values(form);
      const payload = { keep_clock: Boolean(v.keep_clock) };
      if (v.scope !== "all") payload.app_id = APP;
      const done = await api("POST", "/_mock/reset", payload);
      confirm.hidden = true;
      show(ok, done.message);
    });
  });
});
