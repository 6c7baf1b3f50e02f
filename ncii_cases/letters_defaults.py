# ruff: noqa: E501 -- letter wording: one paragraph a line, as the editor shows it
"""The wording each letter kind ships with, in English and Spanish: Django template text that
the sandbox of ``ncii_cases.letters`` renders (a district may save its own version).

Sources of what the letters say:
- Notice of allegations: 34 CFR 106.45(b)(2)(i)(A)-(B) (the 2020 Title IX regulations): the
  grievance process, the identities of the parties if known, the conduct alleged with its date
  and location, the statement that the respondent is presumed not responsible and that
  responsibility is determined at the end of the process, the right to an advisor of their
  choice (who may be an attorney) and to inspect and review evidence (106.45(b)(5)(iv),
  (vi)), and the district's rule on knowingly false statements where its code of conduct has
  one (106.45(b)(2)(i)(B)); retaliation is prohibited (106.71).
- Outcome letters: the written determination (106.45(b)(7)(ii)-(iii)): the finding, the
  standard of evidence, the rationale, the sanctions (respondent), the remedies (complainant),
  and the appeal and its window (106.45(b)(8); ``District.appeal_window_school_days``).
- Parent or guardian letter: Title IX keeps parents' right to act for their child (106.6(g));
  the Model NCII Policy for K-12 Schools (CDT and ATIXA) asks for plain, non-blaming language
  and the resources below.
- No-contact directive: "mutual restrictions on contact between the parties" are supportive
  measures (106.30(a)); the Model Policy names them among interim actions.
- Supportive-measures letter: 106.30(a), 106.44(a); resources from the Model Policy: the
  NCMEC 24-hour hotline 1-800-THE-LOST (1-800-843-5678), Take It Down (takeitdown.ncmec.org,
  imagery made under 18) and StopNCII (stopncii.org, imagery made at 18 or over).
- TAKE IT DOWN Act notice: the English default prints the sections of
  ``services.takedown_notices.notice_letter`` (Pub. L. 119-12, sec. 3(a)(1)(B)) as they are;
  the Spanish one says the same elements in Spanish.
"""

_SIGNATURE_EN = """Sincerely,

{{ sender.name }}
{{ district.coordinator_title|default:"Title IX Coordinator" }}, {{ district.name }}
{% if district.coordinator_email %}{{ district.coordinator_email }}{% endif %}{% if district.coordinator_phone %} · {{ district.coordinator_phone }}{% endif %}"""

_SIGNATURE_ES = """Atentamente,

{{ sender.name }}
{{ district.coordinator_title|default:"Coordinador(a) del Título IX" }}, {{ district.name }}
{% if district.coordinator_email %}{{ district.coordinator_email }}{% endif %}{% if district.coordinator_phone %} · {{ district.coordinator_phone }}{% endif %}"""

_HEAD_EN = """{{ letter_date }}

{{ recipient.name }}
Reference: {{ reference }}

Dear {{ recipient.name }},"""

_HEAD_ES = """{{ letter_date }}

{{ recipient.name }}
Referencia: {{ reference }}

Estimado(a) {{ recipient.name }}:"""

_HELP_EN = """Help is available at any time: the NCMEC 24-hour hotline, 1-800-THE-LOST (1-800-843-5678); Take It Down (takeitdown.ncmec.org) for images made when a person was under 18; StopNCII (stopncii.org) for images made at 18 or over. You may also contact our office{% if district.coordinator_email %} at {{ district.coordinator_email }}{% endif %}."""

_HELP_ES = """Hay ayuda disponible en todo momento: la línea de NCMEC de 24 horas, 1-800-THE-LOST (1-800-843-5678); Take It Down (takeitdown.ncmec.org) para imágenes hechas cuando la persona era menor de 18 años; StopNCII (stopncii.org) para imágenes hechas a los 18 años o más. También puede comunicarse con nuestra oficina{% if district.coordinator_email %} en {{ district.coordinator_email }}{% endif %}."""

ALLEGATIONS_EN = f"""{_HEAD_EN}

The {{{{ district.name }}}} has received a report and is opening a grievance process under its policy on non-consensual intimate imagery and Title IX. This notice tells you what was reported and what your rights are. You are receiving it as the {{{{ recipient.role }}}}.

What was reported: {{{{ allegations.conduct }}}}. The report concerns {{{{ allegations.imagery }}}}. It is reported to have happened {{% if allegations.date %}}{{% if allegations.date_approximate %}}on or about{{% else %}}on{{% endif %}} {{{{ allegations.date }}}}{{% else %}}on a date not yet known{{% endif %}}, {{{{ allegations.location }}}}{{% if allegations.platforms %}}, on {{{{ allegations.platforms|join:", " }}}}{{% endif %}}.

The people involved, as far as they are known: {{% if complainants %}}complainant{{{{ complainants|pluralize }}}}: {{{{ complainants|join:", " }}}}{{% if other_complainants %}}, and {{{{ other_complainants }}}} other {{{{ other_complainants|pluralize:"person,people" }}}} shown in the imagery, not named here to protect their privacy{{% endif %}}{{% elif other_complainants %}}{{{{ other_complainants }}}} {{{{ other_complainants|pluralize:"person,people" }}}} shown in the imagery, not named here to protect their privacy{{% else %}}the complainant is not yet identified{{% endif %}}; {{% if respondents %}}respondent{{{{ respondents|pluralize }}}}: {{{{ respondents|join:", " }}}}{{% else %}}the respondent is not yet identified{{% endif %}}.

The respondent is presumed not responsible for the reported conduct. Whether anyone is responsible is decided only at the end of the grievance process.

You may have an advisor of your choice, who may be, but is not required to be, an attorney, and you may inspect and review the evidence gathered. You will have enough time to prepare before any interview or meeting.

The district's code of conduct prohibits knowingly making false statements or knowingly giving false information during the grievance process. Retaliation against anyone who takes part in this process is prohibited.

{_HELP_EN}

{_SIGNATURE_EN}"""

ALLEGATIONS_ES = f"""{_HEAD_ES}

El {{{{ district.name }}}} recibió un informe y abre un proceso de quejas según su política sobre imágenes íntimas sin consentimiento y el Título IX. Este aviso le informa lo que se reportó y cuáles son sus derechos. Lo recibe en calidad de {{{{ recipient.role }}}}.

Lo que se reportó: {{{{ allegations.conduct }}}}. El informe se refiere a {{{{ allegations.imagery }}}}. Se reporta que ocurrió {{% if allegations.date %}}{{% if allegations.date_approximate %}}alrededor del{{% else %}}el{{% endif %}} {{{{ allegations.date }}}}{{% else %}}en una fecha aún no determinada{{% endif %}}, {{{{ allegations.location }}}}{{% if allegations.platforms %}}, en {{{{ allegations.platforms|join:", " }}}}{{% endif %}}.

Las personas involucradas, en la medida en que se conocen: {{% if complainants %}}demandante{{{{ complainants|pluralize }}}}: {{{{ complainants|join:", " }}}}{{% if other_complainants %}}, y {{{{ other_complainants }}}} {{{{ other_complainants|pluralize:"otra persona,otras personas" }}}} que {{{{ other_complainants|pluralize:"aparece,aparecen" }}}} en las imágenes, sin nombrar{{{{ other_complainants|pluralize:"la,las" }}}} aquí para proteger su privacidad{{% endif %}}{{% elif other_complainants %}}{{{{ other_complainants }}}} {{{{ other_complainants|pluralize:"persona,personas" }}}} que {{{{ other_complainants|pluralize:"aparece,aparecen" }}}} en las imágenes, sin nombrar{{{{ other_complainants|pluralize:"la,las" }}}} aquí para proteger su privacidad{{% else %}}la persona demandante aún no está identificada{{% endif %}}; {{% if respondents %}}demandado{{{{ respondents|pluralize }}}}: {{{{ respondents|join:", " }}}}{{% else %}}la persona demandada aún no está identificada{{% endif %}}.

Se presume que la persona demandada no es responsable de la conducta reportada. La responsabilidad solo se decide al final del proceso de quejas.

Usted puede tener un asesor de su elección, que puede ser un abogado, aunque no es obligatorio, y puede examinar y revisar la evidencia reunida. Tendrá tiempo suficiente para prepararse antes de cualquier entrevista o reunión.

El código de conducta del distrito prohíbe hacer declaraciones falsas a sabiendas o dar información falsa a sabiendas durante el proceso de quejas. Se prohíben las represalias contra cualquier persona que participe en este proceso.

{_HELP_ES}

{_SIGNATURE_ES}"""

OUTCOME_COMPLAINANT_EN = f"""{_HEAD_EN}

The grievance process about the report you made, or that concerns you, has reached a determination. We know this may be hard to read, and our office is here to talk it through with you.

{{% for o in outcomes %}}Determination about {{{{ o.respondent }}}}, decided on {{{{ o.decided_on }}}}: {{{{ o.finding }}}}, under the standard of {{{{ o.standard }}}}.
Reasons: {{{{ o.rationale }}}}
An appeal may be filed until {{{{ o.appeal_until }}}}.

{{% endfor %}}{{% if remedies %}}Remedies provided to you:
{{% for r in remedies %}}- {{{{ r.name }}}} ({{{{ r.status }}}})
{{% endfor %}}{{% else %}}Our office will talk with you about remedies and the support that continues.{{% endif %}}

Either party may appeal a determination within {{{{ appeal_days }}}} school days, on the grounds the district's policy lists: a procedural irregularity that affected the outcome, new evidence that was not reasonably available, or a conflict of interest or bias. To appeal, write to our office.

{_HELP_EN}

{_SIGNATURE_EN}"""

OUTCOME_COMPLAINANT_ES = f"""{_HEAD_ES}

El proceso de quejas sobre el informe que usted presentó, o que le concierne, ha llegado a una determinación. Sabemos que puede ser difícil de leer; nuestra oficina está disponible para conversarlo con usted.

{{% for o in outcomes %}}Determinación sobre {{{{ o.respondent }}}}, decidida el {{{{ o.decided_on }}}}: {{{{ o.finding }}}}, según el criterio de {{{{ o.standard }}}}.
Razones: {{{{ o.rationale }}}}
Se puede apelar hasta el {{{{ o.appeal_until }}}}.

{{% endfor %}}{{% if remedies %}}Medidas de reparación para usted:
{{% for r in remedies %}}- {{{{ r.name }}}} ({{{{ r.status }}}})
{{% endfor %}}{{% else %}}Nuestra oficina hablará con usted sobre las medidas de reparación y el apoyo que continúa.{{% endif %}}

Cualquiera de las partes puede apelar una determinación dentro de {{{{ appeal_days }}}} días escolares, por los motivos que enumera la política del distrito: una irregularidad de procedimiento que afectó el resultado, nueva evidencia que no estaba razonablemente disponible, o un conflicto de interés o parcialidad. Para apelar, escriba a nuestra oficina.

{_HELP_ES}

{_SIGNATURE_ES}"""

OUTCOME_RESPONDENT_EN = f"""{_HEAD_EN}

The grievance process in which you are the respondent has reached a determination.

Determination, decided on {{{{ outcome.decided_on }}}}: {{{{ outcome.finding }}}}, under the standard of {{{{ outcome.standard }}}}.
Reasons: {{{{ outcome.rationale }}}}

{{% if sanctions %}}Sanctions:
{{% for s in sanctions %}}- {{{{ s.name }}}}{{% if s.details %}}: {{{{ s.details }}}}{{% endif %}}{{% if s.starts_on %}} (from {{{{ s.starts_on }}}}{{% if s.ends_on %}} to {{{{ s.ends_on }}}}{{% endif %}}){{% endif %}}
{{% endfor %}}{{% else %}}No sanction is imposed.{{% endif %}}

You may appeal this determination until {{{{ outcome.appeal_until }}}} ({{{{ appeal_days }}}} school days), on the grounds the district's policy lists: a procedural irregularity that affected the outcome, new evidence that was not reasonably available, or a conflict of interest or bias. To appeal, write to our office. Retaliation against anyone who took part in this process is prohibited.

{_SIGNATURE_EN}"""

OUTCOME_RESPONDENT_ES = f"""{_HEAD_ES}

El proceso de quejas en el que usted es la persona demandada ha llegado a una determinación.

Determinación, decidida el {{{{ outcome.decided_on }}}}: {{{{ outcome.finding }}}}, según el criterio de {{{{ outcome.standard }}}}.
Razones: {{{{ outcome.rationale }}}}

{{% if sanctions %}}Sanciones:
{{% for s in sanctions %}}- {{{{ s.name }}}}{{% if s.details %}}: {{{{ s.details }}}}{{% endif %}}{{% if s.starts_on %}} (desde el {{{{ s.starts_on }}}}{{% if s.ends_on %}} hasta el {{{{ s.ends_on }}}}{{% endif %}}){{% endif %}}
{{% endfor %}}{{% else %}}No se impone ninguna sanción.{{% endif %}}

Puede apelar esta determinación hasta el {{{{ outcome.appeal_until }}}} ({{{{ appeal_days }}}} días escolares), por los motivos que enumera la política del distrito: una irregularidad de procedimiento que afectó el resultado, nueva evidencia que no estaba razonablemente disponible, o un conflicto de interés o parcialidad. Para apelar, escriba a nuestra oficina. Se prohíben las represalias contra cualquier persona que participó en este proceso.

{_SIGNATURE_ES}"""

PARENT_EN = f"""{_HEAD_EN}

We are writing to let you know that {{{{ student.name }}}}, a student at {{{{ school.name }}}}, is involved as {{{{ student.role }}}} in a matter that the district's Title IX office is addressing under its policy on non-consensual intimate imagery.

We would like to talk with you about what happened, the support available to your child, and the next steps. Please contact our office to arrange a time. We ask that you do not share, forward or look for any image involved: sharing it again adds to the harm, and for a minor it may be a crime.

{_HELP_EN}

{_SIGNATURE_EN}"""

PARENT_ES = f"""{_HEAD_ES}

Le escribimos para informarle que {{{{ student.name }}}}, estudiante de {{{{ school.name }}}}, está involucrado(a) en calidad de {{{{ student.role }}}} en un asunto que la oficina del Título IX del distrito está atendiendo según su política sobre imágenes íntimas sin consentimiento.

Nos gustaría hablar con usted sobre lo sucedido, el apoyo disponible para su hijo(a) y los próximos pasos. Por favor comuníquese con nuestra oficina para acordar una cita. Le pedimos que no comparta, reenvíe ni busque ninguna imagen relacionada: volver a compartirla aumenta el daño y, tratándose de un menor, puede ser un delito.

{_HELP_ES}

{_SIGNATURE_ES}"""

NO_CONTACT_EN = f"""{_HEAD_EN}

This is a no-contact directive, effective {{{{ effective_date }}}}, while the district addresses a matter under its policy on non-consensual intimate imagery. It is not a finding that anyone is responsible for anything.

From today you must not contact {{{{ protected|join:", " }}}}, directly or through others, in person, by phone, by message, on social media or in any other way. This includes sharing, posting or commenting on any image or message about them. If you meet by chance at school, leave calmly and without comment.

If you need to change a class, a route or a schedule so that this directive can be followed, contact our office. Breaking this directive may lead to discipline under the district's code of conduct. Retaliation against anyone who takes part in this process is prohibited.

{_SIGNATURE_EN}"""

NO_CONTACT_ES = f"""{_HEAD_ES}

Esta es una orden de no contacto, vigente desde el {{{{ effective_date }}}}, mientras el distrito atiende un asunto según su política sobre imágenes íntimas sin consentimiento. No es una determinación de que alguien sea responsable de algo.

A partir de hoy usted no debe comunicarse con {{{{ protected|join:", " }}}}, ni directamente ni por medio de otras personas, en persona, por teléfono, por mensajes, en redes sociales ni de ninguna otra forma. Esto incluye compartir, publicar o comentar cualquier imagen o mensaje sobre esa persona. Si se encuentran por casualidad en la escuela, retírese con calma y sin comentarios.

Si necesita cambiar una clase, un trayecto o un horario para poder cumplir esta orden, comuníquese con nuestra oficina. No cumplir esta orden puede dar lugar a medidas disciplinarias según el código de conducta del distrito. Se prohíben las represalias contra cualquier persona que participe en este proceso.

{_SIGNATURE_ES}"""

SUPPORT_EN = f"""{_HEAD_EN}

What happened is not your fault. The district is offering you support, free of charge, whether or not you take part in any process.

{{% if measures %}}The support arranged for you:
{{% for m in measures %}}- {{{{ m.name }}}} ({{{{ m.status }}}}{{% if m.starts_on %}}, from {{{{ m.starts_on }}}}{{% endif %}}{{% if m.review_on %}}, to be reviewed with you on {{{{ m.review_on }}}}{{% endif %}})
{{% endfor %}}{{% else %}}Our office would like to talk with you about the support that would help, such as counseling, changes to classes or schedules, or extra time for schoolwork.{{% endif %}}

You may ask for a change to any of these at any time.

{_HELP_EN}

{_SIGNATURE_EN}"""

SUPPORT_ES = f"""{_HEAD_ES}

Lo que sucedió no es su culpa. El distrito le ofrece apoyo gratuito, participe o no en cualquier proceso.

{{% if measures %}}El apoyo organizado para usted:
{{% for m in measures %}}- {{{{ m.name }}}} ({{{{ m.status }}}}{{% if m.starts_on %}}, desde el {{{{ m.starts_on }}}}{{% endif %}}{{% if m.review_on %}}, a revisar con usted el {{{{ m.review_on }}}}{{% endif %}})
{{% endfor %}}{{% else %}}Nuestra oficina quisiera hablar con usted sobre el apoyo que le ayudaría, como orientación psicológica, cambios de clases u horarios, o más tiempo para las tareas escolares.{{% endif %}}

Puede pedir un cambio en cualquiera de estos apoyos en cualquier momento.

{_HELP_ES}

{_SIGNATURE_ES}"""

# The builder's own sections, printed as they are.
TAKEDOWN_EN = """{% for line in notice.header %}{{ line }}
{% endfor %}
{% for section in notice.sections %}{{ section.heading }}

{% for paragraph in section.paragraphs %}{{ paragraph }}

{% endfor %}{% endfor %}"""

TAKEDOWN_ES = """Para: {{ platform }}
Fecha: {{ letter_date }}
Nuestra referencia: {{ takedown_reference }}

1. El contenido que se debe retirar

{{ content_location }}

No se adjunta ninguna copia de la imagen. Le pedimos retirar el contenido en la ubicación indicada dentro de las 48 horas que exige la ley, y hacer esfuerzos razonables para retirar las copias idénticas conocidas.

2. La persona representada

{% if depicted_name %}La persona representada es {{ depicted_name }}.{% else %}Para proteger su privacidad, este aviso no da el nombre de la persona representada. El distrito confirmará su identidad a su equipo de confianza y seguridad si lo solicita, por medio del contacto indicado abajo.{% endif %}{% if depicted_minor %} La persona representada es un(a) estudiante que tenía menos de 18 años cuando se hizo la imagen. El contenido que muestra a un menor puede ser material de abuso sexual infantil, que la ley federal obliga a los proveedores a reportar a la CyberTipline de NCMEC (18 U.S.C. 2258A).{% endif %}

3. Declaración de buena fe

{{ statement }}

4. Información de contacto

{% for line in contact %}{{ line }}
{% endfor %}
5. Firma

{{ signature }}

Firma electrónica de {{ signer.name }}, {{ signer.title }}, {{ district.name }}, en nombre de la persona representada y con su autorización o la de quien actúa por ella."""

DEFAULTS: dict[str, dict[str, tuple[str, str]]] = {
    "allegations": {
        "en": ("Notice of allegations — {{ reference }}", ALLEGATIONS_EN),
        "es": ("Aviso de alegaciones — {{ reference }}", ALLEGATIONS_ES),
    },
    "outcome_complainant": {
        "en": ("Outcome of the grievance process — {{ reference }}", OUTCOME_COMPLAINANT_EN),
        "es": ("Resultado del proceso de quejas — {{ reference }}", OUTCOME_COMPLAINANT_ES),
    },
    "outcome_respondent": {
        "en": ("Outcome of the grievance process — {{ reference }}", OUTCOME_RESPONDENT_EN),
        "es": ("Resultado del proceso de quejas — {{ reference }}", OUTCOME_RESPONDENT_ES),
    },
    "parent": {
        "en": ("About your child, {{ student.name }} — {{ reference }}", PARENT_EN),
        "es": ("Sobre su hijo(a), {{ student.name }} — {{ reference }}", PARENT_ES),
    },
    "no_contact": {
        "en": ("No-contact directive — {{ reference }}", NO_CONTACT_EN),
        "es": ("Orden de no contacto — {{ reference }}", NO_CONTACT_ES),
    },
    "support": {
        "en": ("Support available to you — {{ reference }}", SUPPORT_EN),
        "es": ("Apoyo disponible para usted — {{ reference }}", SUPPORT_ES),
    },
    "takedown": {
        "en": ("{{ notice.title }}", TAKEDOWN_EN),
        "es": (
            "Solicitud de retiro según la Ley TAKE IT DOWN (Pub. L. 119-12), sección 3",
            TAKEDOWN_ES,
        ),
    },
}
