import { mount } from "svelte";
import App from "./App.svelte";
import "./app.css";

// Touch kiosk lockdown: no context menu, no text dragged out of the app, no new windows
// (the shell also refuses any navigation away from the app).
window.addEventListener("contextmenu", (e) => e.preventDefault());
window.addEventListener("dragstart", (e) => e.preventDefault());
window.open = () => null;

const target = document.getElementById("app");
if (target) mount(App, { target });
