// Dashboard → Company: for a company owner, the invite code (shown once, right after the
// company was created: the server keeps only its digest) and the members, with removal after
// a confirmation; for a member, what membership means; for anyone else, joining with a code.
import { OnepizzaError } from "/sdk/onepizza.js";
import { copyText, errorText, listRow, say, when, whileBusy } from "../account/common.js";
import { confirmAction } from "../account/confirm.js";

const $ = (id) => document.getElementById(id);

export async function init(op, me, { welcome = {} } = {}) {
  const error = $("company-error");
  const ok = $("company-ok");
  const list = $("member-list");

  if (welcome.inviteCode) {
    $("company-invite-code").textContent = welcome.inviteCode;
    $("company-invite").hidden = false;
    $("company-invite-copy").addEventListener("click", () =>
      copyText(welcome.inviteCode, $("company-invite-copied"), "Invite code copied"),
    );
  }

  function memberRow(member) {
    const owner = member.role === "owner";
    return listRow({
      title: member.email,
      meta: `${owner ? "Owner" : "Member"} · joined ${when(member.joined_at)}`,
      button: owner ? null : { text: "Remove", name: `Remove ${member.email}`, onclick: () => removeMember(member) },
      data: { memberId: member.id },
    });
  }

  async function refreshMembers() {
    const { members } = await op.company.members();
    list.replaceChildren(...members.map(memberRow));
  }

  async function removeMember(member) {
    const sure = await confirmAction({
      title: `Remove ${member.email}?`,
      text: "They keep their account but no longer use the company's balance. What they brought stays with the company.",
      confirmLabel: "Remove member",
    });
    if (!sure) return;
    say(error, "");
    say(ok, "");
    try {
      await op.company.removeMember(member.id);
      await refreshMembers();
      say(ok, `${member.email} was removed from the company.`);
    } catch (failure) {
      say(error, errorText(failure));
    }
    $("members-title").focus();
  }

  function showJoin() {
    const form = $("company-join");
    form.hidden = false;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      say(error, "");
      say(ok, "");
      const code = form.elements.inviteCode.value.trim();
      try {
        const joined = await whileBusy($("company-join-button"), "Joining…", () => op.company.join(code));
        form.hidden = true;
        $("company-member").hidden = false;
        say(ok, `You joined ${joined.companyName}. Your meetings are now paid from its balance.`);
        document.dispatchEvent(new CustomEvent("onepizza:balance-changed"));
      } catch (failure) {
        say(error, errorText(failure));
      }
    });
  }

  if (me.company_id === null || me.company_id === undefined) {
    showJoin();
    return;
  }
  try {
    await refreshMembers();
    $("company-owner").hidden = false;
  } catch (failure) {
    if (!(failure instanceof OnepizzaError && failure.status === 403)) throw failure;
    $("company-member").hidden = false; // only the owner manages members
  }
}
