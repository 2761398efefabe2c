const NOTIFY_CHOICES = [['none', 'notifyNone'], ['replies', 'notifyReplies'], ['all', 'notifyAll']];

// -- the form: a new comment, or a reply under `parent` ------------------------------
Object.assign(Widget.prototype, {
  showComposer() {
    if (this.isLocked()) return;
    const composer = this.composer(null);
    this.formSlot.replaceChildren(composer.form);
  },

  composer(parent, anchor) {
    const t = this.t;
    const config = this.config;
    const uid = ++this.uid;
    const idFor = (name) => `f${uid}-${name}`;
    const fields = {};
    const field = (apiName, label, input, note) => {
      input.id = idFor(apiName);
      const error = h('p', { class: 'field-error', id: idFor(`${apiName}-error`), hidden: true });
      fields[apiName] = { input, error };
      return h('div', { class: `field field-${apiName}` },
        h('label', { for: input.id }, label, note ? [' ', h('span', { class: 'note', text: note })] : null),
        input, error);
    };

    const body = h('textarea', {
      id: idFor('body'), name: 'body', dir: 'auto', rows: parent ? 3 : 4,
      placeholder: t('placeholder'), maxlength: config.max_body_chars,
    });
    const bodyError = h('p', { class: 'field-error', id: idFor('body-error'), hidden: true });
    const left = h('p', { class: 'left', hidden: true });
    fields.body = { input: body, error: bodyError };
    const bodyLabel = parent
      ? h('label', {
        class: 'small-label', for: body.id,
        text: t('bodyReply', { name: parent.c.author ? parent.c.author.name : '' }),
      })
      : h('h2', { class: 'heading' }, h('label', { for: body.id, text: t('heading') }));
    body.addEventListener('input', () => {
      const remaining = config.max_body_chars - body.value.length;
      left.hidden = remaining > Math.min(500, config.max_body_chars / 10);
      left.textContent = t('left', { n: Math.max(0, remaining) });
    });

    const name = h('input', {
      type: 'text', name: 'name', dir: 'auto', autocomplete: 'name',
      required: config.require_name,
    });
    name.value = this.identity.name;
    name.addEventListener('input', () => { this.identity.name = name.value; });
    const email = h('input', {
      type: 'email', name: 'email', dir: 'ltr', autocomplete: 'email', inputmode: 'email',
      required: config.require_email,
    });
    email.value = this.identity.email;
    email.addEventListener('input', () => { this.identity.email = email.value; });

    // Signed in (signin.js), the service takes the name and email from the identity.
    const people = this.me || config.sign_in?.mode === 'required' ? [] : [
      field('author_name', t('name'), name, config.require_name ? null : t('optional')),
      field('author_email', t('email'), email, config.require_email ? null : t('emailNote')),
    ];
    let notify = null;
    if (config.notifications === true) {
      notify = h('select', { name: 'notify' },
        NOTIFY_CHOICES.map(([value, key]) => h('option', { value, text: t(key) })));
      people.push(field('notify', t('notify'), notify));
    }

    const alert = h('div', { class: 'alert', hidden: true });
    // Spam defences (services/spam.py): a field people never see or reach, so leave
    // empty, and a signed token taken when the form is shown (too fast, forged or
    // missing: refused). A new token after each try.
    const trap = h('input', { name: 'url', tabindex: -1, autocomplete: 'off' });
    let token = this.formToken();
    const submit = h('button', {
      type: 'submit', class: 'btn primary', text: parent ? t('postReply') : t('post'),
    });
    const buttons = [submit];
    if (parent) {
      buttons.unshift(h('button', {
        type: 'button', class: 'btn secondary', text: t('cancel'),
        onclick: () => { this.closePanel(parent); parent.actions.querySelector('.reply').focus(); },
      }));
    }
    const form = h('form', { class: parent ? 'form reply-form panel' : 'form', novalidate: true },
      parent ? null : this.signInBar(), bodyLabel, body, bodyError, left,
      h('div', { class: 'people' }, people),
      h('div', { class: 'sr', 'aria-hidden': 'true' }, trap),
      alert,
      h('div', { class: 'row' },
        h('p', { class: 'hint', text: t('hint') }),
        h('div', { class: 'buttons' }, buttons)));
    this.addPreview(form, body, submit);

    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (form.getAttribute('aria-busy') === 'true') return;
      this.clearErrors(fields, alert);
      if (!body.value.trim()) {
        this.markField(fields.body, t('errEmpty'));
        this.showAlert(alert, t('errFields'));
        body.focus();
        return;
      }
      const payload = { article: this.article, body: body.value };
      if (this.title) payload.title = this.title;
      if (isWebUrl(this.url)) payload.url = this.url;
      if (parent) payload.parent_id = parent.c.id;
      if (name.value.trim()) payload.author_name = name.value;
      if (email.value.trim()) payload.author_email = email.value;
      // The reader's language goes with a notify choice: their emails are written in it.
      if (notify && notify.value !== 'none') {
        Object.assign(payload, { notify: notify.value, lang: this.i18n.lang });
      }
      if (anchor) payload.anchor = anchor;
      payload.hp = trap.value;

      form.setAttribute('aria-busy', 'true');
      this.busy(submit, t('posting'));
      let data;
      try {
        const signed = await token;
        if (signed) payload.form_token = signed;
        data = await api('POST', `/sites/${encodeURIComponent(this.site)}/comments`,
          { body: payload, bearer: this.me?.token });
      } catch (error) {
        if (error.code === 'invalid_reader_token') this.setMe(null);
        this.showFailure(error, fields, alert);
        return;
      } finally {
        token = this.formToken();
        form.removeAttribute('aria-busy');
        this.idle(submit, parent ? t('postReply') : t('post'));
      }
      storage.write(`${NS}:name`, name.value.trim());
      body.value = '';
      left.hidden = true;
      if (!data.comment) {
        // 202: held for a moderator (pre-moderation or a spam hold); nothing to show yet.
        const note = h('p', { class: 'held', text: t('held') });
        alert.after(note);
        setTimeout(() => note.remove(), 15000);
        this.announce(t('held'));
        return;
      }
      storage.keep(this.site, data.comment.id,
        { token: data.edit_token, until: data.editable_until, body: payload.body });
      this.posted(data.comment, parent);
    });
    return { form, body };
  },

  // -- preview (issue 22): the body as the server would store it ----------------------
  // A toggle button (aria-pressed) before the form's submit button shows, in place of
  // the textarea, a labelled region holding the server's rendering (POST .../preview:
  // sanitize.py's HTML, inserted only through setBodyHtml). The textarea is only hidden,
  // never emptied, so switching back finds the text as it was; focus stays on the toggle
  // while previewing and returns to the textarea afterwards. The region is not a live
  // region: the widget announces through its one live region only.
  addPreview(form, textarea, submit) {
    const region = h('div', {
      class: 'preview body', role: 'region', 'aria-label': this.t('preview'), hidden: true,
    });
    let asked = 0;
    let shown = false;
    // on: show the server's rendering of the text; off: back to the (untouched) text.
    const set = async (on) => {
      const ticket = ++asked;
      const text = on && textarea.value.trim();
      shown = on;
      toggle.setAttribute('aria-pressed', on);
      textarea.hidden = on;
      region.hidden = !on;
      region.textContent = on && !text ? this.t('previewEmpty') : '';
      if (!text) return;
      try {
        const data = await api('POST', `/sites/${encodeURIComponent(this.site)}/preview`,
          { body: { body: textarea.value } });
        if (ticket === asked) setBodyHtml(region, data.body_html);
      } catch (error) {
        if (ticket === asked) region.textContent = this.errorText(error);
      }
    };
    const toggle = h('button', {
      type: 'button', class: 'btn secondary', text: this.t('preview'), 'aria-pressed': 'false',
      onclick: () => { set(!shown); if (!shown) textarea.focus(); },
    });
    // Sending goes back to writing first, so errors point at a visible textarea.
    form.addEventListener('submit', () => set(false));
    textarea.after(region);
    submit.before(toggle);
  },

  // A form token for the next post, or null when none can be had (the post then says).
  formToken() {
    return api('GET', `/sites/${encodeURIComponent(this.site)}/form-token`)
      .then((data) => data.token, () => null);
  },

  posted(comment, parent) {
    let el;
    if (parent) {
      el = this.addReply(comment, parent.rootId);
      const root = this.nodes.get(parent.rootId);
      if (root) {
        root.total += 1;
        this.updateMoreReplies(root);
      }
      this.closePanel(parent);
    } else {
      el = this.renderComment(comment, comment.id);
      if (el && this.sort === 'newest') this.list.prepend(el);
      else if (el) this.list.append(el);
    }
    this.changeCount(1);
    this.emit('posted', { comment, parent, root: this.nodes.get(parent ? parent.rootId : comment.id) });
    this.announce(this.t('posted'));
    if (!el) return;
    el.classList.add('is-new');
    el.addEventListener('animationend', () => el.classList.remove('is-new'), { once: true });
    if (parent) el.focus();
    else if (!comment.anchor) el.scrollIntoView({ block: 'nearest' });
  },

  // -- errors, in words a reader understands ---------------------------------------
  errorText(error) {
    const t = this.t;
    if (error.status === 0) return t('errNetwork');
    if (error.status === 429) {
      return error.retryAfter > 0 ? t('errRateWait', { n: error.retryAfter }) : t('errRate');
    }
    if (error.code === 'thread_locked') return t('errClosed');
    if (error.code === 'edit_window_closed' || error.code === 'invalid_edit_token') {
      return t('errWindow');
    }
    if (error.code === 'comment_deleted' || error.code === 'comment_not_found') {
      return t('errGone');
    }
    if (error.code === 'origin_not_allowed') return t('errOrigin');
    if (/sign_in_required|invalid_reader_token/.test(error.code)) return t('errSignIn');
    if (error.status === 413) return t('errTooLong');
    if (error.status === 422) {
      const messages = Object.values(error.fields || {});
      return messages.length ? messages.join(' ') : t('errFields');
    }
    if (error.status >= 500) return t('errServer');
    return t('errBad');
  },

  showFailure(error, fields, alert) {
    let first = null;
    const unplaced = [];
    const said = [this.t('errFields')];
    if (error.status === 422) {
      for (const [key, message] of Object.entries(error.fields || {})) {
        const field = fields[key];
        if (!field) {
          unplaced.push(message);
          continue;
        }
        // The service speaks English; other languages get the field's own sentence.
        const text = this.i18n.lang === 'en' ? message : (this.i18n.own(`field_${key}`)
          || message);
        this.markField(field, text);
        said.push(text);
        first = first || field.input;
      }
    }
    if (error.status === 422 && first && !unplaced.length) {
      this.showAlert(alert, said[0], said.join(' '));
    } else if (error.status === 422 && unplaced.length) {
      this.showAlert(alert, unplaced.join(' '));
    } else {
      this.showAlert(alert, this.errorText(error));
    }
    if (first) first.focus();
  },

  markField(field, message) {
    field.error.textContent = message;
    field.error.hidden = false;
    field.input.setAttribute('aria-invalid', 'true');
    field.input.setAttribute('aria-describedby', field.error.id);
  },

  clearErrors(fields, alert) {
    for (const field of Object.values(fields)) {
      field.error.hidden = true;
      field.error.textContent = '';
      field.input.removeAttribute('aria-invalid');
      field.input.removeAttribute('aria-describedby');
    }
    alert.hidden = true;
    alert.textContent = '';
  },

  // Errors are shown beside the form and said once, through the one live region.
  showAlert(alert, text, said) {
    alert.textContent = text;
    alert.hidden = false;
    this.announce(said || text);
  },

  busy(button, label) {
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    button.textContent = label;
  },

  idle(button, label) {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    button.textContent = label;
    // A disabled button loses focus to the page: give it back.
    if (document.activeElement === document.body) button.focus();
  },
});
