import { mount } from "svelte";
import App from "./App.svelte";
import "./app.css";

// Touch kiosk: no context menu, no text dragged out of the app.
window.addEventListener("contextmenu", (e) => e.preventDefault());
window.addEventListener("dragstart", (e) => e.preventDefault());

const target = document.getElementById("app");
if (target) mount(App, { target });
