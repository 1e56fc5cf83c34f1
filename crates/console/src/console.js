// Progressive enhancement only: the console works without this file. Forms marked
// data-progress upload through XHR so a 10^5-row list shows how far the upload got and
// then that the server is checking it; the server's answer replaces the page.
"use strict";
// A form marked data-keep keeps what was typed for this tab when it is sent, and gets it
// back only when the clerk returns through a preview's "返回修改" (files must be chosen
// again: browsers do not let a page set them). Registered first, so the form is filled
// before the rich-text editor reads its textarea.
function savedKey(form) {
  return "gongkai-form:" + form.getAttribute("action");
}
function saveForm(form) {
  var values = {};
  Array.prototype.forEach.call(form.elements, function (el) {
    if (!el.name || el.name === "csrf" || el.type === "file" || el.type === "hidden") return;
    if ((el.type === "radio" || el.type === "checkbox") && !el.checked) return;
    values[el.name] = el.value;
  });
  try { window.sessionStorage.setItem(savedKey(form), JSON.stringify(values)); } catch (e) { /* storage off */ }
}
function restoreForm(form) {
  try {
    if (window.sessionStorage.getItem("gongkai-restore") !== form.getAttribute("action")) return;
    window.sessionStorage.removeItem("gongkai-restore");
    var values = JSON.parse(window.sessionStorage.getItem(savedKey(form)) || "{}");
    Object.keys(values).forEach(function (name) {
      var el = form.elements[name];
      if (el && el.type !== "file") el.value = values[name];
    });
  } catch (e) { /* nothing kept */ }
}

document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form[data-keep]").forEach(function (form) {
    restoreForm(form);
    form.addEventListener("submit", function () { saveForm(form); });
  });
});

document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form[data-progress]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      if (!window.FormData || !window.XMLHttpRequest) return;
      ev.preventDefault();
      var bar = document.getElementById(form.dataset.progress);
      var text = document.getElementById(form.dataset.progress + "-text");
      var button = form.querySelector("button[type=submit]");
      if (button) button.disabled = true;
      bar.hidden = false;
      text.hidden = false;
      text.textContent = "正在上传…";
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.upload.onprogress = function (e) {
        if (!e.lengthComputable) return;
        var pct = Math.round((e.loaded / e.total) * 100);
        bar.value = pct;
        text.textContent = pct < 100 ? "正在上传… " + pct + "%" : "上传完成，正在逐行检查…";
      };
      xhr.onload = function () {
        // Followed a redirect (to the import's preview): go there. An answer without a
        // redirect (a posting's preview, an error page) replaces the page as it is: a
        // GET of the form's own address would not be the same page.
        var redirected = xhr.responseURL && xhr.responseURL !== new URL(form.action, window.location.href).href;
        if (redirected && xhr.status < 400) {
          window.location.assign(xhr.responseURL);
        } else {
          document.open();
          document.write(xhr.responseText);
          document.close();
        }
      };
      xhr.onerror = function () {
        text.textContent = "上传失败，请检查网络后重试。";
        if (button) button.disabled = false;
      };
      xhr.send(new FormData(form));
    });
  });
});

// A small rich-text editor for textareas marked data-richtext: bold, headings, lists,
// paste from Word. It writes HTML into the textarea on submit; the server sanitizes it
// (ammonia allow-list) like every body. Without script the textarea takes plain text.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("textarea[data-richtext]").forEach(function (area) {
    var editor = document.createElement("div");
    editor.className = "richtext";
    editor.contentEditable = "true";
    editor.setAttribute("role", "textbox");
    editor.setAttribute("aria-multiline", "true");
    editor.innerHTML = area.value;
    var bar = document.createElement("div");
    bar.className = "richtext-bar";
    [
      ["bold", "加粗"],
      ["formatBlock:h3", "小标题"],
      ["formatBlock:p", "正文段落"],
      ["insertOrderedList", "编号列表"],
      ["insertUnorderedList", "项目列表"],
      ["removeFormat", "清除格式"],
    ].forEach(function (b) {
      var btn = document.createElement("button");
      btn.type = "button";
      btn.textContent = b[1];
      btn.className = "secondary";
      btn.addEventListener("click", function () {
        var parts = b[0].split(":");
        document.execCommand(parts[0], false, parts[1] || null);
        editor.focus();
      });
      bar.appendChild(btn);
    });
    area.hidden = true;
    area.required = false;
    area.parentNode.insertBefore(bar, area);
    area.parentNode.insertBefore(editor, area);
    area.form.addEventListener("submit", function () {
      area.value = editor.innerHTML;
    }, true);
  });
});

// A file input marked data-fill="NAME" reads a text file into the form's textarea NAME,
// so a year's holiday file can be imported and still checked by eye before it is sent.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("input[type=file][data-fill]").forEach(function (input) {
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      var area = input.form && input.form.elements[input.getAttribute("data-fill")];
      if (!file || !area) return;
      var reader = new FileReader();
      reader.onload = function () { area.value = String(reader.result); };
      reader.readAsText(file, "utf-8");
    });
  });
});

// A select marked data-switch="NAME" shows only the fieldsets marked data-when="NAME=value"
// for the chosen value, and disables the others' inputs so they are not sent. Without
// script every fieldset shows and the server reads only the chosen type's fields.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("select[data-switch]").forEach(function (select) {
    var name = select.getAttribute("data-switch");
    var form = select.form;
    function apply() {
      form.querySelectorAll("fieldset[data-when^='" + name + "=']").forEach(function (set) {
        var on = set.getAttribute("data-when") === name + "=" + select.value;
        set.hidden = !on;
        set.disabled = !on;
      });
    }
    select.addEventListener("change", apply);
    apply();
  });
});

// "返回修改" on a preview opens the form again, filled in with what was typed (see
// saveForm above); without script it opens the empty form.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("a[data-back]").forEach(function (a) {
    a.addEventListener("click", function () {
      // The form page fills itself back in from what was kept when it was sent.
      try { window.sessionStorage.setItem("gongkai-restore", a.getAttribute("data-back")); } catch (e) { /* storage off */ }
    });
  });
});
// A receipt's "打印回执" button prints the page (the print stylesheet keeps only the receipt).
document.addEventListener("DOMContentLoaded", function () {
  Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (b) {
    b.addEventListener("click", function () { window.print(); });
  });
});
