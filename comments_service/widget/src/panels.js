const FLAG_REASONS = ['spam', 'abuse', 'off_topic', 'other'];

// -- panels under a comment: reply, edit, delete, report ------------------------------
Object.assign(Widget.prototype, {
  togglePanel(node, kind, button, open) {
    if (node.panel === kind) {
      this.closePanel(node);
      button.focus();
      return;
    }
    this.closePanel(node);
    node.panel = kind;
    node.opener = button;
    button.setAttribute('aria-expanded', 'true');
    const focusTarget = open();
    if (focusTarget) focusTarget.focus();
  },

  closePanel(node) {
    node.slot.replaceChildren();
    node.body.hidden = false;
    if (node.opener) node.opener.setAttribute('aria-expanded', 'false');
    node.panel = null;
    node.opener = null;
  },

  replyPanel(node) {
    const composer = this.composer(node);
    node.slot.append(composer.form);
    return composer.body;
  },

  editPanel(node) {
    const own = this.own(node.c.id);
    if (!own) return null;
    const t = this.t;
    const id = `e${++this.uid}`;
    const text = h('textarea', {
      id, dir: 'auto', rows: 4, maxlength: this.config.max_body_chars,
    });
    text.value = typeof own.body === 'string' ? own.body : node.body.textContent;
    const alert = h('div', { class: 'alert', hidden: true });
    const save = h('button', { type: 'submit', class: 'btn primary', text: t('save') });
    const form = h('form', { class: 'panel edit-form', novalidate: true },
      h('label', { class: 'small-label', for: id, text: t('editLabel') }), text, alert,
      h('div', { class: 'row end' },
        h('button', {
          type: 'button', class: 'btn secondary', text: t('cancel'),
          onclick: () => { this.closePanel(node); node.actions.querySelector('.edit').focus(); },
        }),
        save));
    this.addPreview(form, text, save);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (!text.value.trim()) {
        this.showAlert(alert, t('errEmpty'));
        text.focus();
        return;
      }
      const entry = this.own(node.c.id);
      if (!entry) {
        this.showAlert(alert, t('errWindow'));
        return;
      }
      this.busy(save, t('saving'));
      try {
        const data = await api('PATCH',
          `/sites/${encodeURIComponent(this.site)}/comments/${node.c.id}`,
          { body: { body: text.value }, token: entry.token, bearer: entry.bearer });
        if (entry.token) storage.keep(this.site, node.c.id, { ...entry, body: text.value });
        node.c = { ...node.c, body_html: data.comment.body_html, edited_at: data.comment.edited_at };
        this.closePanel(node);
        this.fill(node);
        this.announce(t('saved'));
        node.actions.querySelector('.edit').focus();
      } catch (error) {
        this.idle(save, t('save'));
        this.showAlert(alert, this.errorText(error));
      }
    });
    node.body.hidden = true;
    node.slot.append(form);
    return text;
  },

  deletePanel(node) {
    const t = this.t;
    const alert = h('div', { class: 'alert', hidden: true });
    const confirm = h('button', {
      type: 'button', class: 'btn danger', text: t('delete'),
      onclick: () => this.remove(node, confirm, alert),
    });
    node.slot.append(h('div', { class: 'panel confirm', role: 'group' },
      h('p', { text: t('confirmDelete') }), alert,
      h('div', { class: 'row end' },
        h('button', {
          type: 'button', class: 'btn secondary', text: t('cancel'),
          onclick: () => { this.closePanel(node); node.actions.querySelector('.delete').focus(); },
        }),
        confirm)));
    return confirm;
  },

  async remove(node, button, alert) {
    const entry = this.own(node.c.id);
    if (!entry) {
      this.showAlert(alert, this.t('errWindow'));
      return;
    }
    this.busy(button, this.t('delete'));
    let data;
    try {
      data = await api('DELETE',
        `/sites/${encodeURIComponent(this.site)}/comments/${node.c.id}`,
        { token: entry.token, bearer: entry.bearer });
    } catch (error) {
      this.idle(button, this.t('delete'));
      this.showAlert(alert, this.errorText(error));
      return;
    }
    storage.forget(this.site, node.c.id);
    const root = this.nodes.get(node.rootId);
    this.emit('removed', { node, root });
    if (node.c.depth > 0 && root) {
      root.total -= 1;
      root.shown -= 1;
    }
    this.closePanel(node);
    if (data.placeholder) {
      node.c = { ...node.c, status: 'deleted', author: null, body_html: '' };
      this.fill(node);
      node.el.focus();
    } else {
      const parentEl = node.el.parentElement;
      const focusTo = node.el.closest('.replies') ? node.el.parentElement.closest('.c') : null;
      node.el.remove();
      this.nodes.delete(node.c.id);
      if (parentEl && !parentEl.firstChild) {
        const owner = parentEl.closest('.c');
        if (owner) owner.classList.remove('has-replies');
      }
      (focusTo || this.countHeading).focus();
    }
    if (root) this.updateMoreReplies(root);
    this.changeCount(-1);
    this.announce(this.t('removed'));
  },

  flagPanel(node) {
    const t = this.t;
    const uid = ++this.uid;
    const reasons = FLAG_REASONS.map((reason, index) => h('label', { class: 'choice' },
      h('input', { type: 'radio', name: `reason${uid}`, value: reason, checked: index === 0 }),
      h('span', { text: t(reason) })));
    const detailId = `d${uid}`;
    const detail = h('textarea', { id: detailId, dir: 'auto', rows: 2, maxlength: 1000 });
    const alert = h('div', { class: 'alert', hidden: true });
    const send = h('button', { type: 'submit', class: 'btn primary', text: t('flagSend') });
    const form = h('form', { class: 'panel flag-form', novalidate: true },
      h('fieldset', null, h('legend', { text: t('flagTitle') }), reasons),
      h('label', { class: 'small-label', for: detailId, text: t('flagText') }), detail, alert,
      h('div', { class: 'row end' },
        h('button', {
          type: 'button', class: 'btn secondary', text: t('cancel'),
          onclick: () => { this.closePanel(node); node.actions.querySelector('.flag').focus(); },
        }),
        send));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const chosen = form.querySelector('input[type="radio"]:checked');
      this.busy(send, t('flagSend'));
      let message;
      try {
        await api('POST',
          `/sites/${encodeURIComponent(this.site)}/comments/${node.c.id}/flags`,
          { body: { reason: chosen ? chosen.value : 'other', text: detail.value },
            reader: readerToken(true) });
        message = t('flagThanks');
      } catch (error) {
        if (error.code !== 'already_flagged') {
          this.idle(send, t('flagSend'));
          this.showAlert(alert, this.errorText(error));
          return;
        }
        message = t('flagAlready');
      }
      const done = h('p', { class: 'panel thanks', tabindex: '-1', text: message });
      node.slot.replaceChildren(done);
      done.focus();
    });
    node.slot.append(form);
    return form.querySelector('input[type="radio"]');
  },
});
