// Generated from gongkai_model::complaint::ComplaintKind by export-bindings; do not edit.
import type { ComplaintKind } from "./ComplaintKind";

export const COMPLAINT_KINDS: { kind: ComplaintKind; label: string; requiresContact: boolean }[] = [
  { kind: "complaint", label: "投诉", requiresContact: false },
  { kind: "report", label: "举报", requiresContact: false },
  { kind: "suggestion", label: "建议", requiresContact: false },
  { kind: "inquiry", label: "咨询", requiresContact: false },
  { kind: "disclosure_request", label: "依申请公开", requiresContact: true },
  { kind: "board_objection", label: "三榜异议", requiresContact: false },
];
